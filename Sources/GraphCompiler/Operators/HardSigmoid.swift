import GraphIR
import GraphPlan

/// HardSigmoid: `max(0, min(1, alpha * x + beta))`, alpha 0.2 and beta 0.5 by default.
enum HardSigmoidOp: ActivationOperator {
  static let opTypes = ["HardSigmoid"]
  static let attributes: Set<String> = ["alpha", "beta"]

  static func activation(_ n: some NodeOperands) throws -> Activation {
    .hardSigmoid(alpha: try n.node.float("alpha", default: 0.2), beta: try n.node.float("beta", default: 0.5))
  }
}
