import GraphIR

/// Gather: `data[:axis] + indices.shape + data[axis+1:]`. Gathering known
/// indices from a known 1-D value (a Shape output) gives known, maybe symbolic, values.
enum GatherRule: ShapeRule {
  static let opTypes = ["Gather"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data")
    let indices = try n.input(1, "indices")
    guard indices.elementType == .int64 || indices.elementType == .int32 else {
      throw n.error("indices must be int32 or int64, are \(indices.elementType)")
    }
    guard data.shape.rank >= 1 else { throw n.error("data must have rank 1 or more, is a scalar") }
    let axis = try n.axis(try n.node.int("axis", default: 0), rank: data.shape.rank)
    let dims = Array(data.shape.dims[..<axis]) + indices.shape.dims + Array(data.shape.dims[(axis + 1)...])
    var out = ValueState(data.elementType, Shape(dims))

    if let values = indices.fixedElements, case .fixed(let size) = data.shape[axis] {
      for v in values where v < -size || v >= size {
        throw n.error("index \(v) is out of range for axis \(axis) of size \(size) (data \(data.shape))")
      }
      if let source = data.elements, axis == 0, dims.count <= 1, source.count == size {
        out.elements = values.map { source[$0 < 0 ? $0 + size : $0] }
      }
    }
    return [out]
  }
}
