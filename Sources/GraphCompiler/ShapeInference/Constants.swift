import GraphIR

/// Constant: exactly one of value, value_float(s), value_int(s).
enum ConstantRule: ShapeRule {
  static let opTypes = ["Constant"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let keys = n.node.attributes.keys.sorted()
    guard keys.count == 1, let key = keys.first else {
      throw n.error("needs exactly one value attribute, has \(keys.isEmpty ? "none" : keys.joined(separator: ", "))")
    }
    let tensor: Tensor
    switch (key, n.node.attributes[key]) {
    case ("value", .tensor(let t)?): tensor = t
    case ("value_float", .float(let v)?): tensor = Tensor(scalar: v)
    case ("value_floats", .floats(let v)?): tensor = Tensor(floats: v, dims: [v.count])
    case ("value_int", .int(let v)?): tensor = Tensor(int64s: [Int64(v)], dims: [])
    case ("value_ints", .ints(let v)?): tensor = Tensor(int64s: v.map { Int64($0) }, dims: [v.count])
    case let (_, attribute?):
      throw n.error("attribute '\(key)' (\(attribute.kindName)) is not a supported constant value")
    case (_, nil):
      throw n.error("missing value attribute")
    }
    return [ValueState(constant: tensor)]
  }
}

/// ConstantOfShape: the shape is the input's (known) values; the type comes from `value`.
enum ConstantOfShapeRule: ShapeRule {
  static let opTypes = ["ConstantOfShape"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let input = try n.input(0, "input", rank: 1)
    guard let dims = input.elements else {
      throw n.error("shape input '\(n.node.inputs[0])' is not known at compile time")
    }
    for case .fixed(let d) in dims where d < 0 {
      throw n.error("shape [\(dims.map(\.description).joined(separator: ", "))] has negative dim \(d)")
    }
    var type = DataType.float
    if let value = try n.node.tensor("value") {
      guard value.elementCount == 1 else { throw n.error("value must hold exactly one element, has shape \(value.shape)") }
      type = value.dataType
    }
    var out = ValueState(type, Shape(dims))
    if type.isInteger, dims.count <= 1, let value = try n.node.tensor("value"), let v = value.int64s.first,
      case .fixed(let count)? = dims.first ?? .fixed(1), count <= ValueState.maxTrackedElements
    {
      out.elements = Array(repeating: .fixed(Int(v)), count: count)
    }
    return [out]
  }
}

/// Shape: the input's dims as a 1-D int64 value, sliced by start/end from opset 15.
enum ShapeOpRule: ShapeRule {
  static let opTypes = ["Shape"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let rank = x.shape.rank
    var dims = x.shape.dims
    if n.opset >= 15 {
      // start/end clamp to [0, rank] after counting negatives from the end, like Python slices.
      func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
      let start = clamp(try n.node.int("start", default: 0))
      let end = clamp(try n.node.int("end", default: rank))
      dims = start < end ? Array(dims[start..<end]) : []
    }
    return [ValueState(.int64, Shape([.fixed(dims.count)]), elements: dims)]
  }
}

/// Cast: same shape, element type from `to`; known integer values survive integer casts.
enum CastRule: ShapeRule {
  static let opTypes = ["Cast"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard let raw = try n.node.int("to") else { throw n.error("attribute to is required") }
    guard let rawType = Int32(exactly: raw), let type = DataType(rawValue: rawType) else {
      throw n.error("cast to element type \(raw) is not supported")
    }
    var out = ValueState(type, x.shape)
    if type.isInteger, type != .bool, x.elementType.isInteger { out.elements = x.elements }
    return [out]
  }
}
