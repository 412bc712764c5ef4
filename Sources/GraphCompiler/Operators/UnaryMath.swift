import GraphIR
import GraphPlan

/// The element-wise math ops without parameters: each is one plan ``Activation``, so it runs as
/// a vectorized activation step or fuses into a conv or dense epilogue like Relu. They fold on
/// constants (a `Sqrt` of a constant scale, say).
protocol UnaryMathOperator: ActivationOperator {
  static var mathActivation: Activation { get }
}

extension UnaryMathOperator {
  static var attributes: Set<String> { [] }
  static var folds: Bool { true }
  static func activation(_ n: some NodeOperands) throws -> Activation { mathActivation }
}

/// Tanh: `tanh(x)`.
enum TanhOp: UnaryMathOperator {
  static let opTypes = ["Tanh"]
  static let mathActivation = Activation.tanh
}

/// Erf: the Gauss error function; GELU exports as `x * 0.5 * (1 + Erf(x / sqrt(2)))`.
enum ErfOp: UnaryMathOperator {
  static let opTypes = ["Erf"]
  static let mathActivation = Activation.erf
}

/// Exp: `e^x`.
enum ExpOp: UnaryMathOperator {
  static let opTypes = ["Exp"]
  static let mathActivation = Activation.exp
}

/// Neg: `-x`.
enum NegOp: UnaryMathOperator {
  static let opTypes = ["Neg"]
  static let mathActivation = Activation.neg
}

/// Abs: `|x|`.
enum AbsOp: UnaryMathOperator {
  static let opTypes = ["Abs"]
  static let mathActivation = Activation.abs
}

/// Reciprocal: `1 / x`.
enum ReciprocalOp: UnaryMathOperator {
  static let opTypes = ["Reciprocal"]
  static let mathActivation = Activation.reciprocal
}

/// Sqrt: `sqrt(x)`, NaN for negative x.
enum SqrtOp: UnaryMathOperator {
  static let opTypes = ["Sqrt"]
  static let mathActivation = Activation.sqrt
}

/// LeakyRelu: `x < 0 ? alpha * x : x`, alpha 0.01 by default.
enum LeakyReluOp: ActivationOperator {
  static let opTypes = ["LeakyRelu"]
  static let attributes: Set<String> = ["alpha"]
  static func activation(_ n: some NodeOperands) throws -> Activation {
    .leakyRelu(alpha: try n.node.float("alpha", default: 0.01))
  }
}
