import GraphIR
import GraphPlan

/// Gather: `data[:axis] + indices.shape + data[axis+1:]`. Gathering known
/// indices from a known 1-D value (a Shape output) gives known, maybe symbolic, values.
enum GatherOp: OperatorDefinition {
  static let opTypes = ["Gather"]
  static let attributes: Set<String> = ["axis"]
  static let folds = true
  /// For `graphc ops` and docs/ops.md (the `notes` requirement arrives with the conv-nd branch).
  static let notes: String? = "constant indices (any shape, negative ones count from the end); data computed at run time along any axis but the batch."

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

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let data = try n.input(0), indices = try n.input(1)
    guard !data.dims.isEmpty else { throw n.error("data must have rank 1 or more") }
    let axis = try n.axis(try n.node.int("axis", default: 0), rank: data.dims.count)
    let size = data.dims[axis]
    let idx = try indices.int64s.map { i -> Int in
      let j = i < 0 ? Int(i) + size : Int(i)
      guard j >= 0, j < size else { throw n.error("index \(i) out of range for dim \(size)") }
      return j
    }
    let outer = data.dims[..<axis].reduce(1, *)
    let inner = data.dims[(axis + 1)...].reduce(1, *)
    var flat: [Int] = []
    for o in 0..<outer { for j in idx { for i in 0..<inner { flat.append((o * size + j) * inner + i) } } }
    let dims = Array(data.dims[..<axis]) + indices.dims + Array(data.dims[(axis + 1)...])
    return [Evaluate.select(data, dims: dims, flat)]
  }

  /// Run-time data, constant indices: a gather step along a per-item axis.
  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let axis = try n.axis(try n.node.int("axis", default: 0), rank: dims.count + 1)
    guard axis >= 1 else { throw LoweringContext.Unsupported(reason: "gathering along the batch") }
    guard !n.isComputed(n.node.inputs[1]) else { throw LoweringContext.Unsupported(reason: "indices computed at run time") }
    let size = dims[axis - 1]
    let indices = try n.constant(1).int64s.map { i -> Int in
      guard i >= -Int64(size), i < Int64(size) else { throw n.error("index \(i) is out of range for axis \(axis) of size \(size)") }
      return i < 0 ? Int(i) + size : Int(i)
    }
    n.emit(.gather(axis: axis - 1, indices: indices), inputs: [n.x])
  }
}
