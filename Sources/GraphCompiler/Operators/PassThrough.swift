import GraphIR
import GraphPlan

/// Identity: the input, unchanged.
enum IdentityOp: OperatorDefinition {
  static let opTypes = ["Identity"]
  static let attributes: Set<String> = []
  static let folds = true
  static let movesIndices = true

  static func infer(_ n: NodeContext) throws -> [ValueState] { [try n.input(0, "input")] }
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] { [try n.input(0)] }
  /// Left by remove-noops only when both ends are graph values it cannot rename.
  static func lower(_ n: LoweringContext) throws { n.emit(.copy, inputs: [n.x]) }
}

/// Dropout is the identity at inference; its optional mask is a bool tensor of the same shape.
enum DropoutOp: OperatorDefinition {
  static let opTypes = ["Dropout"]
  static let attributes: Set<String> = ["ratio", "seed"]
  /// Must be 1 (inference), which OperatorRegistry.check enforces.
  static let legacyAttributes = ["is_test": 7]

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

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let mask = Tensor(dataType: .bool, dims: x.dims, storage: .integers(Array(repeating: 1, count: x.elementCount)))
    return [x, mask]
  }

  /// Kept only when its mask is read (remove-noops drops it otherwise): a copy, and the mask,
  /// all true at inference, written by a constant step into every item.
  static func lower(_ n: LoweringContext) throws {
    n.emit(.copy, inputs: [n.x])
    guard n.node.outputs.count > 1, !n.node.outputs[1].isEmpty else { return }
    // One item's ones for a batched mask, every item's for a mask of fixed items.
    guard let mask = n.lowering.program.values[n.node.outputs[1]] else { return }
    n.emit(.constant(n.addWeights(Array(repeating: 1, count: mask.itemCount * (mask.items ?? 1)))), inputs: [], output: n.node.outputs[1])
  }
}
