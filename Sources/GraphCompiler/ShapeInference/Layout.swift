import GraphIR

/// Flatten: `[d0..dk]` to `[d0*..*d(axis-1), d(axis)*..*dk]`; axis may be negative.
enum FlattenRule: ShapeRule {
  static let opTypes = ["Flatten"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    let rank = x.shape.rank
    let raw = try n.node.int("axis", default: 1)
    guard raw >= -rank, raw <= rank else {
      throw n.error("axis \(raw) is out of range for input \(x.shape) (allowed \(-rank)...\(rank))")
    }
    let axis = raw < 0 ? raw + rank : raw
    guard let outer = DimProduct.of(x.shape.dims[..<axis]), let inner = DimProduct.of(x.shape.dims[axis...]) else {
      throw n.error("element count of \(x.shape) overflows")
    }
    return [ValueState(x.elementType, Shape([outer.dim, inner.dim]))]
  }
}

/// Transpose: dims permuted by `perm` (default: reversed).
enum TransposeRule: ShapeRule {
  static let opTypes = ["Transpose"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let rank = x.shape.rank
    let perm = try n.node.ints("perm") ?? Array((0..<rank).reversed())
    guard perm.count == rank, Set(perm) == Set(0..<rank) else {
      throw n.error("perm \(perm) is not a permutation of 0..<\(rank) for input \(x.shape)")
    }
    return [ValueState(x.elementType, Shape(perm.map { x.shape[$0] }))]
  }
}
