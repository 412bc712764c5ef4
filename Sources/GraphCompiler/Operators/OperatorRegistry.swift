import GraphIR

/// The one list of operators the compiler supports. The up-front check, shape
/// inference, constant folding, the reference interpreter, fusion and lowering
/// all look ops up here, so there is one op list.
public enum OperatorRegistry {
  static let all: [any OperatorDefinition.Type] = [
    ConvOp.self, ConvTransposeOp.self, MaxPoolOp.self, AveragePoolOp.self, LpPoolOp.self, CumSumOp.self, GlobalPoolOp.self, GemmOp.self, MatMulOp.self,
    ArithmeticOp.self, VariadicOp.self, PReluOp.self, ReluOp.self, ClipOp.self, SigmoidOp.self, HardSigmoidOp.self, HardSwishOp.self,
    LeakyReluOp.self, TanhOp.self, ErfOp.self, GeluOp.self, ExpOp.self, NegOp.self, AbsOp.self, ReciprocalOp.self, SqrtOp.self, PowOp.self,
    LogOp.self, SoftplusOp.self, SoftsignOp.self, EluOp.self, SeluOp.self, CeluOp.self, ThresholdedReluOp.self, SignOp.self, IsNaNOp.self, IsInfOp.self,
    FloorOp.self, CeilOp.self, RoundOp.self, MishOp.self, TrigonometricOp.self, ShrinkOp.self, BatchNormalizationOp.self, LayerNormalizationOp.self, RMSNormalizationOp.self, InstanceNormalizationOp.self, LpNormalizationOp.self, MeanVarianceNormalizationOp.self, LRNOp.self, SoftmaxOp.self, DropoutOp.self, IdentityOp.self,
    ConcatOp.self, FlattenOp.self, ReshapeOp.self, TransposeOp.self, UnsqueezeOp.self, SqueezeOp.self,
    GatherOp.self, GatherNDOp.self, ScatterNDOp.self, GatherElementsOp.self, ScatterElementsOp.self, EinsumOp.self, ReduceOp.self, ArgMaxOp.self, TopKOp.self, HardmaxOp.self, DepthToSpaceOp.self, SliceOp.self, SplitOp.self, RangeOp.self, PadOp.self, ExpandOp.self, TileOp.self, ResizeOp.self, UpsampleOp.self,
    ConstantOp.self, ConstantOfShapeOp.self, EyeLikeOp.self, ShapeOp.self, SizeOp.self, CastOp.self, CastLikeOp.self,
    ComparisonOp.self, NotOp.self, WhereOp.self, TriluOp.self, ModOp.self,
  ]

  /// The compiler's own ops (domain `graphc`), made by fusion and views: lowered, never read from files.
  static let compilerOps: [String: any OperatorDefinition.Type] = [
    CompilerOps.fusedConv: ConvOp.self, CompilerOps.fusedGemm: GemmOp.self, CompilerOps.view: ViewOp.self,
    CompilerOps.silu: SiLUOp.self, CompilerOps.gelu: GeluOp.self, CompilerOps.channelNorm: ChannelNormOp.self,
  ]

  static let byOp: [String: any OperatorDefinition.Type] = {
    var map: [String: any OperatorDefinition.Type] = [:]
    for op in all {
      for type in op.opTypes {
        precondition(map[type] == nil, "two definitions for \(type)")
        map[type] = op
      }
    }
    return map
  }()

  /// The definition for `node`, default or compiler domain; nil when unsupported.
  static func definition(for node: Node) -> (any OperatorDefinition.Type)? {
    if isDefaultDomain(node.domain) { return byOp[node.opType] }
    return node.domain == CompilerOps.domain ? compilerOps[node.opType] : nil
  }

  /// Default-domain opset versions whose semantics the definitions follow. After 22 the
  /// supported ops' schemas only gain element types (and Cast an FP8 `round_mode`, Range a
  /// float16 `stash_type`, both refused as unknown attributes), per the onnx 1.22 package's
  /// schemas up to 27. Opset 6 (PyTorch's legacy exporter) differs from 7 in the Add family's
  /// and Gemm's `broadcast` and BatchNormalization's and Dropout's `is_test`: see their
  /// ``OperatorDefinition/legacyAttributes``. Before 6 (the model zoo's opset-3 files of these
  /// networks) the differences are forms, each read where its op is defined: Reshape's shape
  /// is an attribute (before 5), Concat's axis defaults to 1 (before 4), Pad's pads are
  /// `paddings` (1), Split's sizes may be an input (1), Cast's `to` is a type name (before 6),
  /// and most ops carry `consumed_inputs`, an in-place hint with no effect on values, ignored.
  /// Tile (tiles and axis inputs) and Upsample (height and width scales) before their opsets
  /// 6 and 7 are refused by name.
  public static let opsetVersions = 1...27

  /// The attribute most ops carried before opset 6: which inputs an in-place implementation
  /// could overwrite. It never changes a value.
  static let consumedInputs = "consumed_inputs"

  /// Every supported default-domain operator with the attributes it accepts, sorted by name.
  public static var supported: [(op: String, attributes: [String])] {
    byOp.keys.sorted().map { ($0, byOp[$0]!.attributes.sorted()) }
  }

  /// What each op with limits or forms worth knowing says about them (``OperatorDefinition/notes``), by op type.
  /// Neighbouring ops of one definition with one note (ReduceL2 ... ReduceSumSquare) share a line.
  public static var notes: [(op: String, note: String)] {
    var lines: [(op: String, note: String)] = []
    for op in byOp.keys.sorted() {
      guard let note = byOp[op]!.notes else { continue }
      if let last = lines.last, last.note == note { lines[lines.count - 1].op += ", \(op)" } else { lines.append((op, note)) }
    }
    return lines
  }

  /// Problems grouped by kind in order of first appearance, each with its count and first
  /// few node names: `Slice (26 nodes: 'a', 'b', 'c' and 23 more), Erf (node 'e')`. A model
  /// with hundreds of one unsupported op reads as one line per op, not one per node.
  static func summarize(_ entries: [(kind: String, node: String)], shown: Int = 3) -> String {
    var order: [String] = []
    var nodes: [String: [String]] = [:]
    for (kind, node) in entries {
      if nodes[kind] == nil { order.append(kind) }
      nodes[kind, default: []].append(node)
    }
    return order.map { kind in
      let names = nodes[kind]!
      let listed = names.prefix(shown).map { "'\($0)'" }.joined(separator: ", ")
      if names.count == 1 { return "\(kind) (node \(listed))" }
      let more = names.count > shown ? " and \(names.count - shown) more" : ""
      return "\(kind) (\(names.count) nodes: \(listed)\(more))"
    }.joined(separator: ", ")
  }

  public static func isDefaultDomain(_ domain: String) -> Bool {
    domain.isEmpty || domain == "ai.onnx"
  }

  /// Throws when the default-domain opset is outside ``opsetVersions``, listing every
  /// unsupported op in one error, then every attribute that could change an op's meaning.
  public static func check(_ model: Model) throws {
    let version = model.opsetVersion
    guard opsetVersions.contains(version) else {
      throw GraphError("", "opset version \(version) is not supported (supported: \(opsetVersions.lowerBound)...\(opsetVersions.upperBound))")
    }
    let unsupported = model.graph.nodes.filter { !isDefaultDomain($0.domain) || byOp[$0.opType] == nil }
    guard unsupported.isEmpty else {
      let list = unsupported.map { node in
        (kind: isDefaultDomain(node.domain) ? node.opType : "\(node.domain).\(node.opType)",
         node: node.name.isEmpty ? (node.outputs.first ?? "?") : node.name)
      }
      throw GraphError("", "unsupported ops: " + summarize(list))
    }
    var unknown: [String] = []
    for node in model.graph.nodes {
      let definition = byOp[node.opType]!
      for key in node.attributes.keys.sorted() where !definition.attributes.contains(key) {
        if key == consumedInputs, version < 6 { continue }
        if let dropped = definition.legacyAttributes[key] {
          if version < dropped { continue }
          unknown.append("\(node.label) attribute '\(key)' (opset \(dropped) dropped it; the model imports opset \(version))")
        } else {
          unknown.append("\(node.label) attribute '\(key)'")
        }
      }
      if node.opType == "BatchNormalization", case .int(let mode)? = node.attributes["training_mode"], mode != 0 {
        unknown.append("\(node.label) training_mode=\(mode) (only inference is supported)")
      }
      // Before opset 7, BatchNormalization and Dropout run in training mode unless `is_test` is 1.
      if ["BatchNormalization", "Dropout"].contains(node.opType), version < 7, (try? node.int("is_test", default: 0)) != 1 {
        unknown.append("\(node.label) is_test=\((try? node.int("is_test", default: 0)).map(String.init) ?? "?") (training mode; only inference, is_test=1, is supported)")
      }
    }
    guard unknown.isEmpty else {
      throw GraphError("", "unsupported attributes: " + unknown.joined(separator: ", "))
    }
  }
}

/// The compiler's own ops (domain `graphc`), produced by fusion and views.
public enum CompilerOps {
  public static let domain = "graphc"
  /// Conv with an optional residual input 3; its activation is in ``CompilationContext/fusions``.
  public static let fusedConv = "FusedConv"
  /// Gemm (or MatMul + bias) whose activation is in ``CompilationContext/fusions``.
  public static let fusedGemm = "FusedGemm"
  /// A reshape that copies nothing: its output aliases its input.
  public static let view = "View"
  /// `Mul(x, Sigmoid(x))`, one activation.
  public static let silu = "SiLU"
  /// GELU from its decomposed forms, one activation (attribute `approximate` as ONNX Gelu's).
  public static let gelu = "GELU"
  /// LayerNormalization across the channels of an NCHW value (inputs X, Scale [C], B [C]; `epsilon`).
  public static let channelNorm = "ChannelNorm"
}
