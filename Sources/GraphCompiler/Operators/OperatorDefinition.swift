import GraphIR
import GraphPlan

/// Everything the compiler knows about one ONNX operator, or a small family that
/// shares its semantics, in one place: the attributes it accepts, its shape rule,
/// its evaluation on concrete tensors (used by constant folding *and* by the
/// reference interpreter) and its lowering to plan steps.
///
/// Attribute reading with opset-dependent defaults lives in the definition's own
/// helpers, called from every phase, so the phases cannot disagree.
protocol OperatorDefinition {
  /// The default-domain op types this definition covers.
  static var opTypes: [String] { get }
  /// The attributes it accepts; any other could change what the op means, so it is refused.
  static var attributes: Set<String> { get }
  /// Attributes the op had in old opsets, each with the opset that dropped it: accepted only in
  /// models importing an older opset (e.g. Add's `broadcast` before 7).
  static var legacyAttributes: [String: Int] { get }
  /// Whether constant folding evaluates it when every input is a constant: the
  /// shape and weight plumbing exporters emit, not heavy compute.
  static var folds: Bool { get }
  /// Whether folding needs only the inputs' shapes, not their values (Shape).
  static var foldsFromShapes: Bool { get }
  /// Whether lowering takes a constant first input (`Sub(1, x)`); otherwise input 0 must be computed at run time.
  static var lowersConstantFirstInput: Bool { get }
  /// Inputs that only give the output's shape (Expand's `shape`), which lowering reads from the
  /// output's inferred shape instead: when computed at run time (from the batch) they are dropped
  /// before lowering, with the Shape/Gather/Concat chain that computes them (``ShapeInputs``).
  static var shapeInputs: [Int] { get }
  /// Forms and limits worth knowing before exporting a model (`graphc ops`, docs/ops.md), or nil.
  static var notes: String? { get }
  /// Outputs lowering never computes, by index, with what they are (MaxPool's `Indices`): a node
  /// that asks for one is refused, naming it.
  static var uncomputedOutputs: [Int: String] { get }
  /// Outputs that are int64 indices computed at run time (ArgMax's, TopK's Indices). The arena
  /// holds only float32, so they live there as exact float integers (the op refuses an axis
  /// longer than 2^24) and leave the runtime as int64; see ``Lowering``'s run-time indices.
  static var indexOutputs: [Int] { get }
  /// Whether the op only moves input 0's elements (views, Transpose, Identity), so run-time
  /// indices stay indices through it.
  static var movesIndices: Bool { get }

  /// Output types and shapes from what is known about the inputs.
  static func infer(_ n: NodeContext) throws -> [ValueState]
  /// Outputs computed from concrete input tensors, slowly and obviously.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor]
  /// Emits the node's plan steps; throws ``LoweringContext/Unsupported`` for a form the runtime cannot run.
  static func lower(_ n: LoweringContext) throws
  /// The activation this node applies, when a conv or dense step can take it as its epilogue.
  static func fusableActivation(_ n: some NodeOperands) throws -> Activation?
}

extension OperatorDefinition {
  static var legacyAttributes: [String: Int] { [:] }
  static var folds: Bool { false }
  static var foldsFromShapes: Bool { false }
  static var lowersConstantFirstInput: Bool { false }
  static var uncomputedOutputs: [Int: String] { [:] }
  static var indexOutputs: [Int] { [] }
  static var movesIndices: Bool { false }
  static var shapeInputs: [Int] { [] }
  static var notes: String? { nil }
  static func fusableActivation(_ n: some NodeOperands) throws -> Activation? { nil }
}

/// What every phase can say about a node: the node, the model's opset, and the
/// values of the inputs that are known when compiling.
protocol NodeOperands {
  var node: Node { get }
  /// Default-domain opset version of the model: several ops changed meaning across versions.
  var opset: Int { get }
  /// Input `i` as a tensor when its value is known (a constant, or any input during evaluation).
  func knownValue(_ i: Int) -> Tensor?
  /// Integer input `i` when its values are known; nil when absent.
  func knownInts(_ i: Int, _ role: String) throws -> [Int]?
}

extension NodeOperands {
  func error(_ message: String) -> GraphError { .node(node, message) }

  func hasInput(_ i: Int) -> Bool { node.input(i) != nil }

  func knownInts(_ i: Int, _ role: String) throws -> [Int]? {
    guard hasInput(i) else { return nil }
    guard let t = knownValue(i), t.isLoaded else {
      throw error("\(role) (input \(i), '\(node.inputs[i])') must be a constant known at compile time")
    }
    return try wholeNumbers(t, i, role)
  }

  /// A known tensor's values as integers. Float ones (Split-1's schema types its sizes so) must
  /// be whole numbers: 1.5 is not a size, and truncating it would compute something else.
  func wholeNumbers(_ t: Tensor, _ i: Int, _ role: String) throws -> [Int] {
    let floats: [Double]
    switch t.storage {
    case .floats(let v): floats = v.map(Double.init)
    case .doubles(let v): floats = v
    case .integers, .unloaded: floats = []
    }
    if let bad = floats.first(where: { !$0.isFinite || $0 != $0.rounded(.towardZero) }) {
      throw error("\(role) (input \(i), '\(node.inputs[i])') holds \(bad), not a whole number")
    }
    return t.int64s.map { Int($0) }
  }

  /// A scalar float input, e.g. Clip's bounds from opset 11; nil when absent.
  func knownScalar(_ i: Int, _ role: String) throws -> Float? {
    guard hasInput(i) else { return nil }
    guard let t = knownValue(i), t.isLoaded else {
      throw error("\(role) (input \(i), '\(node.inputs[i])') must be a constant known at compile time")
    }
    guard t.count == 1 else { throw error("\(role) must be a scalar, has shape \(t.shape)") }
    return t.floats[0]
  }

  /// `axes` from the attribute before opset `inputFrom`, from input `index` from then on; nil when absent.
  func axesList(inputFrom: Int, index: Int) throws -> [Int]? {
    if opset < inputFrom { return try node.ints("axes") }
    // Ignoring a stale attribute would silently reduce or squeeze other axes.
    guard node.attributes["axes"] == nil else {
      throw error("'axes' is an input from opset \(inputFrom) on, not an attribute (the model imports opset \(opset))")
    }
    return try knownInts(index, "axes")
  }

  /// A 0-or-1 attribute (default 0) as a Bool; any other value is an error naming the node.
  func flag(_ key: String) throws -> Bool {
    let v = try node.int(key, default: 0)
    guard v == 0 || v == 1 else { throw error("\(key) must be 0 or 1, is \(v)") }
    return v == 1
  }

  /// `axis` checked against `rank` and made non-negative (ONNX counts negative axes from the end).
  func axis(_ axis: Int, rank: Int, _ what: String = "axis") throws -> Int {
    guard axis >= -rank, axis < rank else {
      throw error("\(what) \(axis) is out of range for rank \(rank) (allowed \(-rank)...\(rank - 1))")
    }
    return axis < 0 ? axis + rank : axis
  }

  /// Normalized, duplicate-free axes.
  func normalizedAxes(_ axes: [Int], rank: Int) throws -> [Int] {
    let normalized = try axes.map { try axis($0, rank: rank, "axis") }
    guard Set(normalized).count == normalized.count else { throw error("axes \(axes) repeat an axis") }
    return normalized
  }
}
