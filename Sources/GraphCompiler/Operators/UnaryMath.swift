import GraphIR
import GraphPlan
import GraphReference

/// The element-wise math ops without parameters: each is one plan ``Activation``, so it runs as
/// a vectorized activation step or fuses into a conv or dense epilogue like Relu. They fold on
/// constants (a `Sqrt` of a constant scale, say).
protocol UnaryMathOperator: ActivationOperator {
  static var mathActivation: Activation { get }
  /// The op on an integer, for ops defined on integer tensors (nil where the result does not
  /// fit): integer constants and known shape values fold exactly, not through floats.
  static var onInteger: (@Sendable (Int64) -> Int64?)? { get }
}

extension UnaryMathOperator {
  static var attributes: Set<String> { [] }
  static var folds: Bool { true }
  static var onInteger: (@Sendable (Int64) -> Int64?)? { nil }
  static func activation(_ n: some NodeOperands) throws -> Activation { mathActivation }

  /// Known integer elements (a shape computation's `Neg(axes)`, say) stay known.
  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    var out = ValueState(x.elementType, x.shape)
    if x.elementType.isInteger, let f = onInteger, let known = x.fixedElements {
      let values = known.compactMap { f(Int64($0)) }
      if values.count == known.count { out.elements = values.map { .fixed(Int($0)) } }
    }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dataType.isInteger else {
      let a = try activation(n)
      let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
        Reference.activation(a, src, count: x.elementCount, output: dst)
      }
      return [Tensor(floats: out, dims: x.dims)]
    }
    guard let f = onInteger else { throw n.error("\(opTypes[0]) of an integer tensor (\(x.dataType)) is not defined") }
    let values = try x.int64s.map { v in
      guard let r = f(v) else { throw n.error("\(opTypes[0]) of \(v) does not fit in \(x.dataType)") }
      return r
    }
    return [Tensor(dataType: x.dataType, dims: x.dims, storage: .integers(values))]
  }
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
  static let onInteger: (@Sendable (Int64) -> Int64?)? = { $0 == .min ? nil : -$0 }
}

/// Abs: `|x|`.
enum AbsOp: UnaryMathOperator {
  static let opTypes = ["Abs"]
  static let mathActivation = Activation.abs
  static let onInteger: (@Sendable (Int64) -> Int64?)? = { $0 == .min ? nil : Swift.abs($0) }
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

/// Floor: the largest integer not above `x`.
enum FloorOp: UnaryMathOperator {
  static let opTypes = ["Floor"]
  static let mathActivation = Activation.floor
}

/// Ceil: the smallest integer not below `x`.
enum CeilOp: UnaryMathOperator {
  static let opTypes = ["Ceil"]
  static let mathActivation = Activation.ceil
}

/// Round: the nearest integer, halves to the even one (2.5 → 2).
enum RoundOp: UnaryMathOperator {
  static let opTypes = ["Round"]
  static let mathActivation = Activation.round
}

/// Mish: `x * tanh(softplus(x))`, vectorized (YOLOv4 and other CNNs use it).
enum MishOp: UnaryMathOperator {
  static let opTypes = ["Mish"]
  static let mathActivation = Activation.mish
}

/// Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh: one ``MathFunction`` each.
/// Rare in CNNs, they run the C library's float function lane by lane, not vector code.
enum TrigonometricOp: ActivationOperator {
  static let functions: [String: MathFunction] = Dictionary(uniqueKeysWithValues: MathFunction.allCases.map {
    ($0.description.prefix(1).uppercased() + $0.description.dropFirst(), $0)
  })
  static let opTypes = functions.keys.sorted()
  static let attributes: Set<String> = []
  static let folds = true
  static func activation(_ n: some NodeOperands) throws -> Activation { .math(functions[n.node.opType]!) }
}

/// Shrink: `x < -lambd ? x + bias : x > lambd ? x - bias : 0` (lambd 0.5, bias 0 by default).
enum ShrinkOp: ActivationOperator {
  static let opTypes = ["Shrink"]
  static let attributes: Set<String> = ["lambd", "bias"]
  static func activation(_ n: some NodeOperands) throws -> Activation {
    .shrink(lambd: try n.node.float("lambd", default: 0.5), bias: try n.node.float("bias", default: 0))
  }
}

/// LeakyRelu: `x < 0 ? alpha * x : x`, alpha 0.01 by default.
enum LeakyReluOp: ActivationOperator {
  static let opTypes = ["LeakyRelu"]
  static let attributes: Set<String> = ["alpha"]
  static func activation(_ n: some NodeOperands) throws -> Activation {
    .leakyRelu(alpha: try n.node.float("alpha", default: 0.01))
  }
}

/// Log: the natural logarithm.
enum LogOp: UnaryMathOperator {
  static let opTypes = ["Log"]
  static let mathActivation = Activation.log
}

/// Softplus: `log(1 + e^x)`.
enum SoftplusOp: UnaryMathOperator {
  static let opTypes = ["Softplus"]
  static let mathActivation = Activation.softplus
}

/// Softsign: `x / (1 + |x|)`.
enum SoftsignOp: UnaryMathOperator {
  static let opTypes = ["Softsign"]
  static let mathActivation = Activation.softsign
}

/// Elu: `x < 0 ? alpha * (e^x - 1) : x`, alpha 1 by default.
enum EluOp: ActivationOperator {
  static let opTypes = ["Elu"]
  static let attributes: Set<String> = ["alpha"]
  static func activation(_ n: some NodeOperands) throws -> Activation { .elu(alpha: try n.node.float("alpha", default: 1)) }
}

/// Selu: `gamma * (x > 0 ? x : alpha * (e^x - 1))`, with the self-normalizing constants by default
/// (rounded to 1.6732 and 1.0507 before opset 6, as that schema wrote them).
enum SeluOp: ActivationOperator {
  static let opTypes = ["Selu"]
  static let attributes: Set<String> = ["alpha", "gamma"]
  static func activation(_ n: some NodeOperands) throws -> Activation {
    let old = n.opset < 6
    return .selu(alpha: try n.node.float("alpha", default: old ? 1.6732 : 1.673_263_192_176_818_847_656_25),
                 gamma: try n.node.float("gamma", default: old ? 1.0507 : 1.050_701_022_148_132_324_218_75))
  }
}

/// Celu: `max(0, x) + min(0, alpha * (e^(x / alpha) - 1))`, alpha 1 by default (not 0: it divides).
enum CeluOp: ActivationOperator {
  static let opTypes = ["Celu"]
  static let attributes: Set<String> = ["alpha"]
  static func activation(_ n: some NodeOperands) throws -> Activation {
    let alpha = try n.node.float("alpha", default: 1)
    guard alpha != 0 else { throw n.error("alpha must not be 0 (x / alpha)") }
    return .celu(alpha: alpha)
  }
}

/// ThresholdedRelu: `x > alpha ? x : 0`, alpha 1 by default.
enum ThresholdedReluOp: ActivationOperator {
  static let opTypes = ["ThresholdedRelu"]
  static let attributes: Set<String> = ["alpha"]
  static func activation(_ n: some NodeOperands) throws -> Activation { .thresholdedRelu(alpha: try n.node.float("alpha", default: 1)) }
}
