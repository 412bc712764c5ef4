import GraphIR
import GraphPlan

/// Sigmoid: `1 / (1 + exp(-x))`; fuses into a conv or dense epilogue.
enum SigmoidOp: ActivationOperator {
  static let opTypes = ["Sigmoid"]
  static let attributes: Set<String> = []
  static func activation(_ n: some NodeOperands) throws -> Activation { .sigmoid }
}

/// `graphc.SiLU`: `Mul(x, Sigmoid(x))` as one activation, made by fusion (EfficientNet's and
/// RegNet's activation), so that it too fuses into the conv before it.
enum SiLUOp: ActivationOperator {
  static let opTypes: [String] = []
  static let attributes: Set<String> = []
  static func activation(_ n: some NodeOperands) throws -> Activation { .silu }
}
