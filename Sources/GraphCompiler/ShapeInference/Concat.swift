import GraphIR

/// Concat: same rank, equal dims except along `axis`, where sizes add up.
enum ConcatRule: ShapeRule {
  static let opTypes = ["Concat"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    guard !n.inputs.isEmpty else { throw n.error("needs at least one input") }
    let parts = try n.inputs.indices.map { try n.input($0, "input \($0)") }
    let first = parts[0]
    guard let rawAxis = try n.node.int("axis") else { throw n.error("attribute axis is required") }
    guard first.shape.rank >= 1 else { throw n.error("cannot concatenate scalars") }
    let axis = try n.axis(rawAxis, rank: first.shape.rank)
    var dims = first.shape.dims
    for (i, p) in parts.enumerated().dropFirst() {
      guard p.elementType == first.elementType else {
        throw n.error("input \(i) is \(p.elementType), input 0 is \(first.elementType)")
      }
      guard p.shape.rank == first.shape.rank else {
        throw n.error("input \(i) has shape \(p.shape), input 0 has \(first.shape): ranks differ")
      }
      for d in 0..<dims.count where d != axis {
        guard let agreed = n.unify(dims[d], p.shape[d]) else {
          throw n.error("input \(i) has shape \(p.shape), input 0 has \(first.shape): dim \(d) differs (concat axis \(axis))")
        }
        dims[d] = agreed
      }
    }
    guard let total = DimArithmetic.sum(parts.map { $0.shape[axis] }) else {
      throw n.error("concatenated size overflows")
    }
    dims[axis] = total
    var out = ValueState(first.elementType, Shape(dims))
    // Concatenating known 1-D integer values (PyTorch's shape lists) keeps them known.
    if dims.count == 1 {
      let known = parts.compactMap(\.elements)
      if known.count == parts.count { out.elements = known.flatMap { $0 } }
    }
    return [out]
  }
}
