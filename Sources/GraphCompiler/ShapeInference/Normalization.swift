import GraphIR

/// BatchNormalization: `X [N, C, ...]` with scale, bias, mean and variance of shape `[C]`.
enum BatchNormalizationRule: ShapeRule {
  static let opTypes = ["BatchNormalization"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.shape.rank >= 2 else { throw n.error("X must have rank 2 or more, has shape \(x.shape)") }
    let channels = x.shape[1]
    for (i, role) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
      let p = try n.input(i, role)
      guard p.shape.rank == 1, n.unify(p.shape[0], channels) != nil else {
        throw n.error("\(role) has shape \(p.shape), expected [\(channels)] for input \(x.shape)")
      }
    }
    // Training-mode outputs (running mean and variance) are per channel.
    let stat = ValueState(x.elementType, Shape([channels]))
    return [ValueState(x.elementType, x.shape), stat, stat, stat, stat]
  }
}

/// LRN keeps the shape of `[N, C, ...]`; `size` is required and positive.
enum LRNRule: ShapeRule {
  static let opTypes = ["LRN"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.shape.rank >= 3 else { throw n.error("X must have rank 3 or more, has shape \(x.shape)") }
    guard let size = try n.node.int("size") else { throw n.error("attribute size is required") }
    guard size >= 1 else { throw n.error("size \(size) must be positive") }
    return [ValueState(x.elementType, x.shape)]
  }
}
