import GraphIR
import GraphPlan

/// Ops that only make constants: folded away before lowering, never run.
private func foldedOnly(_ n: LoweringContext) -> LoweringContext.Unsupported {
  LoweringContext.Unsupported(reason: "\(n.node.opType) is evaluated at compile time only; its inputs must be known")
}

/// Constant: exactly one of value, value_float(s), value_int(s).
enum ConstantOp: OperatorDefinition {
  static let opTypes = ["Constant"]
  static let attributes: Set<String> = ["value", "value_float", "value_floats", "value_int", "value_ints"]
  static let folds = true

  static func value(_ n: some NodeOperands) throws -> Tensor {
    let keys = n.node.attributes.keys.sorted()
    guard keys.count == 1, let key = keys.first else {
      throw n.error("needs exactly one value attribute, has \(keys.isEmpty ? "none" : keys.joined(separator: ", "))")
    }
    switch (key, n.node.attributes[key]) {
    case ("value", .tensor(let t)?): return t
    case ("value_float", .float(let v)?): return Tensor(scalar: v)
    case ("value_floats", .floats(let v)?): return Tensor(floats: v, dims: [v.count])
    case ("value_int", .int(let v)?): return Tensor(int64s: [Int64(v)], dims: [])
    case ("value_ints", .ints(let v)?): return Tensor(int64s: v.map { Int64($0) }, dims: [v.count])
    case let (_, attribute?):
      throw n.error("attribute '\(key)' (\(attribute.kindName)) is not a supported constant value")
    case (_, nil):
      throw n.error("missing value attribute")
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] { [ValueState(constant: try value(n))] }
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] { [try value(n)] }
  static func lower(_ n: LoweringContext) throws { throw foldedOnly(n) }
}

/// ConstantOfShape: the shape is the input's (known) values; the type and fill come from `value`.
enum ConstantOfShapeOp: OperatorDefinition {
  static let opTypes = ["ConstantOfShape"]
  static let shapeInputs = [0]
  static let notes: String? = "a shape known at compile time; one holding the batch gives every item the fill."
  static let attributes: Set<String> = ["value"]
  static let folds = true

  static func fill(_ n: some NodeOperands) throws -> Tensor {
    guard let value = try n.node.tensor("value") else { return Tensor(floats: [0], dims: [1]) }
    guard value.elementCount == 1 else { throw n.error("value must hold exactly one element, has shape \(value.shape)") }
    return value
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let input = try n.input(0, "input", rank: 1)
    guard let dims = input.elements else {
      throw n.error("shape input '\(n.node.inputs[0])' is not known at compile time")
    }
    for case .fixed(let d) in dims where d < 0 {
      throw n.error("shape [\(dims.map(\.description).joined(separator: ", "))] has negative dim \(d)")
    }
    let value = try fill(n)
    var out = ValueState(value.dataType, Shape(dims))
    if value.dataType.isInteger, dims.count <= 1, let v = value.int64s.first,
      case .fixed(let count)? = dims.first ?? .fixed(1), count <= ValueState.maxTrackedElements
    {
      out.elements = Array(repeating: .fixed(Int(v)), count: count)
    }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let dims = try n.input(0).int64s.map { Int($0) }
    guard dims.allSatisfy({ $0 >= 0 }) else { throw n.error("negative dims \(dims)") }
    let fill = try fill(n)
    guard fill.isLoaded else { throw n.error("value has no data") }
    return [Evaluate.select(fill, dims: dims, Array(repeating: 0, count: dims.reduce(1, *)))]
  }

  /// A shape holding the batch (`ConstantOfShape([N, 1, 1])`; its input dropped by ``ShapeInputs``):
  /// a constant step writes one item's fill into every item. A fixed shape has folded.
  static func lower(_ n: LoweringContext) throws {
    guard n.outputIsBatched else { throw foldedOnly(n) }
    let fill = try fill(n)
    guard fill.isLoaded else { throw n.error("value has no data") }
    let count = n.dims(n.output).reduce(1, *)
    n.emit(.constant(n.addWeights(Array(repeating: fill.floats[0], count: count))), inputs: [])
  }
}

/// Shape: the input's dims as a 1-D int64 value, sliced by start/end from opset 15.
enum ShapeOp: OperatorDefinition {
  static let opTypes = ["Shape"]
  static let attributes: Set<String> = ["start", "end"]
  static let folds = true
  static let foldsFromShapes = true

  /// The dims Shape reports for an input of shape `dims`.
  static func slice<D>(_ n: some NodeOperands, _ dims: [D]) throws -> [D] {
    guard n.opset >= 15 else { return dims }
    let rank = dims.count
    // start/end clamp to [0, rank] after counting negatives from the end, like Python slices.
    func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
    let start = clamp(try n.node.int("start", default: 0)), end = clamp(try n.node.int("end", default: rank))
    return start < end ? Array(dims[start..<end]) : []
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let dims = try slice(n, try n.input(0, "data").shape.dims)
    return [ValueState(.int64, Shape([.fixed(dims.count)]), elements: dims)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    // Only the input's dims are read: folding passes a placeholder without data.
    guard let x = n.knownValue(0) else { throw n.error("missing input 0") }
    let dims = try slice(n, x.dims)
    return [Tensor(int64s: dims.map { Int64($0) }, dims: [dims.count])]
  }

  static func lower(_ n: LoweringContext) throws { throw foldedOnly(n) }
}

/// Size: the input's element count as an int64 scalar. It folds from a fixed shape; under a
/// symbolic batch its value is the product `N*C*H*W`, which shape arithmetic (a Reshape's target,
/// a Div by the other dims) can carry, but nothing computes it at run time.
enum SizeOp: OperatorDefinition {
  static let opTypes = ["Size"]
  static let attributes: Set<String> = []
  static let folds = true
  static let foldsFromShapes = true

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    return [ValueState(.int64, Shape([]), elements: DimProduct.of(x.shape.dims).map { [$0.dim] })]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    // As for Shape, only the dims are read.
    guard let x = n.knownValue(0) else { throw n.error("missing input 0") }
    return [Tensor(int64s: [Int64(x.dims.reduce(1, *))], dims: [])]
  }

  /// Unreached in practice: an int64 value needed at run time is refused before lowering.
  static func lower(_ n: LoweringContext) throws {
    throw LoweringContext.Unsupported(
      reason: "Size of '\(n.node.inputs[0])' depends on the batch and is needed at run time; only shape arithmetic can use it")
  }
}

/// Cast: same shape, element type from `to`; known integer values survive integer casts. At run
/// time, a cast of a bool (a comparison's float 0/1), of indices (ArgMax's exact floats) or of
/// a float to float32.
enum CastOp: OperatorDefinition {
  static let opTypes = ["Cast"]
  static let attributes: Set<String> = ["to", "saturate"]
  static let folds = true

  /// The element type attribute `attribute` names (Cast's `to`, EyeLike's `dtype`).
  static func target(_ n: some NodeOperands, _ attribute: String = "to") throws -> DataType {
    if n.opset < 6, case .string(let name)? = n.node.attributes[attribute] { return try legacyTarget(n, name) }
    guard let raw = try n.node.int(attribute) else { throw n.error("attribute \(attribute) is required") }
    guard let rawType = Int32(exactly: raw), let type = DataType(rawValue: rawType) else {
      throw n.error(DataType.unsupported(raw: Int64(raw), what: "cast to element type"))
    }
    return type
  }

  /// Before opset 6, `to` is the type's name in `TensorProto.DataType` ("FLOAT", "INT64").
  static func legacyTarget(_ n: some NodeOperands, _ name: String) throws -> DataType {
    let names = ["UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
                 "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"]
    guard let raw = names.firstIndex(of: name.uppercased()) else { throw n.error("cast to '\(name)': not an element type name") }
    guard let type = DataType(rawValue: Int32(raw)) else {
      throw n.error(DataType.unsupported(raw: Int64(raw), what: "cast to element type"))
    }
    return type
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    [cast(try n.input(0, "input"), to: try target(n))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] { [try n.input(0).converted(to: try target(n))] }

  /// At run time only to float32 from float32, bool or indices, whose floats already are the values: a copy.
  static func lower(_ n: LoweringContext) throws {
    try lower(n, to: try? target(n))
  }

  static func lower(_ n: LoweringContext, to type: DataType?) throws {
    let from = n.lowering.context.elementTypes[n.x]
    let indices = from == .int64 && n.lowering.runTimeIndices.contains(n.x)
    guard from == .float || from == .bool || indices, type == .float else { throw foldedOnly(n) }
    n.emit(.copy, inputs: [n.x])
  }

  /// The state of `x` cast to `type`: integer shape values stay known through integer casts.
  static func cast(_ x: ValueState, to type: DataType) -> ValueState {
    var out = ValueState(type, x.shape)
    if type.isInteger, type != .bool, x.elementType.isInteger { out.elements = x.elements }
    return out
  }
}

/// CastLike (opset 15): Cast to the element type of input 1, whose values are not read. The
/// dynamo exporter writes it around scalar constants (`CastLike(2.0, x)`); constant folding
/// turns each into the Cast it is (see ``ConstantFolding``), so a constant input 0 folds even
/// when input 1 is computed at run time.
enum CastLikeOp: OperatorDefinition {
  static let opTypes = ["CastLike"]
  static let attributes: Set<String> = ["saturate"]
  static let folds = true

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    [CastOp.cast(try n.input(0, "input"), to: try n.input(1, "target_type").elementType)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    [try n.input(0).converted(to: try n.input(1).dataType)]
  }

  static func lower(_ n: LoweringContext) throws {
    try CastOp.lower(n, to: n.lowering.context.elementTypes[n.node.inputs[1]])
  }
}
