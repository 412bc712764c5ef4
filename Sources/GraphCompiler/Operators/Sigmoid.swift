import GraphIR
import GraphPlan

/// Sigmoid: `1 / (1 + exp(-x))`; fuses into a conv or dense epilogue.
enum SigmoidOp: ActivationOperator {
  static let opTypes = ["Sigmoid"]
  static let attributes: Set<String> = []
  static func activation(_ n: some NodeOperands) throws -> Activation { .sigmoid }
}
