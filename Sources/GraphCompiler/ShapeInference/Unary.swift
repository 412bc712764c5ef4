import GraphIR

/// Ops whose output has their first input's type and shape: Relu, Identity, Clip.
enum SameShapeRule: ShapeRule {
  static let opTypes = ["Relu", "Identity", "Clip"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    var x = try n.input(0, "input")
    if n.node.opType == "Clip" { try checkClipBounds(n, x) }
    // Identity passes known values through; the others would change them.
    if n.node.opType != "Identity" { x.elements = nil }
    return [x]
  }

  /// Clip's bounds are attributes before opset 11 and optional scalar inputs from 11 on.
  static func checkClipBounds(_ n: NodeContext, _ x: ValueState) throws {
    if n.opset < 11 {
      _ = try n.node.float("min", default: -.greatestFiniteMagnitude)
      _ = try n.node.float("max", default: .greatestFiniteMagnitude)
      return
    }
    for (i, role) in [(1, "min"), (2, "max")] {
      guard let bound = n.optionalInput(i) else { continue }
      guard bound.shape.rank == 0 || (bound.shape.rank == 1 && bound.shape[0] == .fixed(1)) else {
        throw n.error("\(role) must be a scalar, has shape \(bound.shape)")
      }
      guard bound.elementType == x.elementType else {
        throw n.error("\(role) is \(bound.elementType), input is \(x.elementType)")
      }
    }
  }
}

/// Softmax keeps the shape; its axis must lie within the rank (default 1 before opset 13, -1 after).
enum SoftmaxRule: ShapeRule {
  static let opTypes = ["Softmax"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    let axis = try n.node.int("axis", default: n.opset < 13 ? 1 : -1)
    _ = try n.axis(axis, rank: x.shape.rank)
    return [ValueState(x.elementType, x.shape)]
  }
}

/// Dropout is the identity at inference; its optional mask is a bool tensor of the same shape.
enum DropoutRule: ShapeRule {
  static let opTypes = ["Dropout"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    if n.opset < 12 {
      // The ratio is an attribute before opset 12 and an optional scalar input after.
      let ratio = try n.node.float("ratio", default: 0.5)
      guard ratio >= 0, ratio < 1 else { throw n.error("ratio \(ratio) must be in [0, 1)") }
    } else if let ratio = n.optionalInput(1), ratio.shape.rank != 0 {
      throw n.error("ratio must be a scalar, has shape \(ratio.shape)")
    }
    return [ValueState(x.elementType, x.shape), ValueState(.bool, x.shape)]
  }
}
