import GraphIR

/// Gemm: `op(A) [M, K] x op(B) [K, N] (+ C broadcast to [M, N])` gives `[M, N]`.
enum GemmRule: ShapeRule {
  static let opTypes = ["Gemm"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A", rank: 2)
    let b = try n.input(1, "B", rank: 2)
    let transA = try n.node.int("transA", default: 0) != 0
    let transB = try n.node.int("transB", default: 0) != 0
    let (m, ka) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, cols) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard n.unify(ka, kb) != nil else {
      throw n.error("inner dims differ: A \(a.shape)\(transA ? " transposed" : "") has K=\(ka), B \(b.shape)\(transB ? " transposed" : "") has K=\(kb)")
    }
    let out = Shape([m, cols])
    if let c = n.optionalInput(2), !DimArithmetic.broadcastsTo(c.shape, out) {
      throw n.error("bias C \(c.shape) does not broadcast to the output \(out)")
    }
    return [ValueState(a.elementType, out)]
  }
}

/// MatMul with numpy semantics: 1-D operands gain and then lose a dim, batch dims broadcast.
enum MatMulRule: ShapeRule {
  static let opTypes = ["MatMul"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A")
    let b = try n.input(1, "B")
    guard a.shape.rank >= 1, b.shape.rank >= 1 else {
      throw n.error("operands must have rank 1 or more, A is \(a.shape), B is \(b.shape)")
    }
    let a2 = a.shape.rank == 1 ? Shape([.fixed(1)] + a.shape.dims) : a.shape
    let b2 = b.shape.rank == 1 ? Shape(b.shape.dims + [.fixed(1)]) : b.shape
    let ka = a2[a2.rank - 1], kb = b2[b2.rank - 2]
    guard n.unify(ka, kb) != nil else {
      throw n.error("inner dims differ: A \(a.shape) has K=\(ka), B \(b.shape) has K=\(kb)")
    }
    let batchA = Shape(Array(a2.dims.dropLast(2))), batchB = Shape(Array(b2.dims.dropLast(2)))
    guard let batch = DimArithmetic.broadcast(batchA, batchB) else {
      throw n.error("batch dims do not broadcast: A \(a.shape), B \(b.shape)")
    }
    var dims = batch.dims
    if a.shape.rank > 1 { dims.append(a2[a2.rank - 2]) }
    if b.shape.rank > 1 { dims.append(b2[b2.rank - 1]) }
    return [ValueState(a.elementType, Shape(dims))]
  }
}
