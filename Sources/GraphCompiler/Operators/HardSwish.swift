import GraphIR
import GraphPlan

/// HardSwish (opset 14): `x * max(0, min(1, x / 6 + 1 / 2))`, MobileNet-V3's activation.
enum HardSwishOp: ActivationOperator {
  static let opTypes = ["HardSwish"]
  static let attributes: Set<String> = []
  static func activation(_ n: some NodeOperands) throws -> Activation {
    guard n.opset >= 14 else { throw n.error("HardSwish exists from opset 14; the model imports opset \(n.opset)") }
    return .hardSwish
  }
}
