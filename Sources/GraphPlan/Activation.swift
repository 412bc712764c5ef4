/// The activation applied last, to every output element of a fused kernel.
///
/// The plan only names it; the runtime's kernels and the reference kernels each apply it
/// with their own arithmetic.
public enum Activation: Sendable, Equatable, BitwiseCopyable {
  /// Identity.
  case none
  /// `max(x, 0)`.
  case relu
  /// `min(max(x, min), max)` (ONNX Clip, e.g. ReLU6 as `clip(0, 6)`).
  case clip(min: Float, max: Float)
  /// `1 / (1 + exp(-x))`.
  case sigmoid
  /// `max(0, min(1, alpha * x + beta))` (ONNX HardSigmoid).
  case hardSigmoid(alpha: Float, beta: Float)
  /// `x * max(0, min(1, x / 6 + 1 / 2))` (ONNX HardSwish).
  case hardSwish
  /// `x < 0 ? alpha * x : x` (ONNX LeakyRelu).
  case leakyRelu(alpha: Float)
  /// `tanh(x)`.
  case tanh
  /// The Gauss error function `erf(x)` (GELU's core).
  case erf
  /// `exp(x)`.
  case exp
  /// `-x`.
  case neg
  /// `|x|`.
  case abs
  /// `1 / x`.
  case reciprocal
  /// `sqrt(x)` (NaN below 0).
  case sqrt
  /// `pow(x, exponent)` with a constant exponent (ONNX Pow with a scalar constant exponent).
  case power(Float)
  /// `x * sigmoid(x)` (SiLU, Swish: what exporters write as `Mul(x, Sigmoid(x))`).
  case silu
  /// `x / 2 * (1 + erf(x / sqrt(2)))` (GELU; ONNX Gelu, and the exporters' Div/Erf/Add/Mul/Mul).
  case gelu
  /// `x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x³)))` (GELU's tanh approximation;
  /// ONNX Gelu with `approximate="tanh"`).
  case geluTanh
  /// `x < 0 ? alpha * (e^x - 1) : x` (ONNX Elu).
  case elu(alpha: Float)
  /// The natural logarithm (NaN below 0, -inf at 0).
  case log
  /// `log(1 + e^x)` (ONNX Softplus).
  case softplus
  /// `x / (1 + |x|)` (ONNX Softsign).
  case softsign
  /// `gamma * (x > 0 ? x : alpha * (e^x - 1))` (ONNX Selu).
  case selu(alpha: Float, gamma: Float)
  /// `max(0, x) + min(0, alpha * (e^(x / alpha) - 1))` (ONNX Celu).
  case celu(alpha: Float)
  /// `x > alpha ? x : 0` (ONNX ThresholdedRelu).
  case thresholdedRelu(alpha: Float)
  /// `1` above 0, `-1` below, `x` itself at 0 and NaN (ONNX Sign).
  case sign
  /// `1` for NaN, else `0` (ONNX IsNaN: a bool as float 0/1).
  case isNaN
  /// `1` for +inf when `positive`, for -inf when `negative`, else `0` (ONNX IsInf: a bool as float 0/1).
  case isInf(negative: Bool, positive: Bool)
  /// The largest integer not above `x` (ONNX Floor; ±0, ±inf and NaN stay as they are).
  case floor
  /// The smallest integer not below `x` (ONNX Ceil).
  case ceil
  /// The nearest integer, halves to the even one (ONNX Round: 2.5 → 2, -1.5 → -2).
  case round
  /// `x * tanh(softplus(x))` (ONNX Mish; YOLOv4-style CNNs).
  case mish
  /// `x < -lambd ? x + bias : x > lambd ? x - bias : 0` (ONNX Shrink).
  case shrink(lambd: Float, bias: Float)
  /// A trigonometric or hyperbolic function of the C library (ONNX Sin ... Atanh).
  case math(MathFunction)
}

/// Which reduction a pooling window performs.
public enum PoolKind: Sendable, Equatable, BitwiseCopyable {
  /// The largest value in the window (padding never counts).
  case max
  /// The mean of the window; see `countIncludePad` for the divisor.
  case average
}

/// An element-wise binary arithmetic operator.
public enum BinaryOp: Sendable, Equatable, CaseIterable {
  /// `a + b`.
  case add
  /// `a - b`.
  case sub
  /// `a * b`.
  case mul
  /// `a / b` (IEEE: division by zero gives ±inf or NaN).
  case div
  /// `a` to the power `b`, as C's `powf` (ONNX Pow): a negative base takes integer exponents
  /// only (NaN otherwise), `x^0 = 1` and `1^y = 1` even for NaN.
  case pow
  /// The larger of `a` and `b`, NaN if either is (ONNX Max, as NumPy's `maximum`).
  case max
  /// The smaller of `a` and `b`, NaN if either is (ONNX Min).
  case min
  /// `a < 0 ? a * b : a` (ONNX PRelu, `b` the slope).
  case prelu
  // Comparisons and logic give 1 for true and 0 for false: a bool value computed at run time is
  // carried as float 0/1 (typed bool in the compiler). Any comparison with NaN is false.
  /// `a == b` (ONNX Equal; Not is `x == 0`).
  case equal
  /// `a < b` (ONNX Less).
  case less
  /// `a > b` (ONNX Greater).
  case greater
  /// `a <= b` (ONNX LessOrEqual).
  case lessOrEqual
  /// `a >= b` (ONNX GreaterOrEqual).
  case greaterOrEqual
  /// `a != 0 && b != 0` (ONNX And, on 0/1 operands).
  case and
  /// `a != 0 || b != 0` (ONNX Or).
  case or
  /// `(a != 0) != (b != 0)` (ONNX Xor).
  case xor
  /// C's `fmodf(a, b)`: the remainder with the sign of `a` (ONNX Mod with `fmod=1`).
  case fmod
}

// MARK: - File encoding (on-disk numbers; never renumber: a BinaryOp is its index in `allCases`, so new cases go last)

extension ByteWriter {
  mutating func activation(_ a: Activation) {
    switch a {
    case .none: u8(0)
    case .relu: u8(1)
    case .clip(let lo, let hi):
      u8(2)
      float(lo)
      float(hi)
    case .sigmoid: u8(3)
    case .hardSigmoid(let alpha, let beta):
      u8(4)
      float(alpha)
      float(beta)
    case .hardSwish: u8(5)
    case .leakyRelu(let alpha):
      u8(6)
      float(alpha)
    case .tanh: u8(7)
    case .erf: u8(8)
    case .exp: u8(9)
    case .neg: u8(10)
    case .abs: u8(11)
    case .reciprocal: u8(12)
    case .sqrt: u8(13)
    case .power(let exponent):
      u8(14)
      float(exponent)
    case .silu: u8(15)
    case .gelu: u8(16)
    case .geluTanh: u8(17)
    case .elu(let alpha):
      u8(18)
      float(alpha)
    case .log: u8(19)
    case .softplus: u8(20)
    case .softsign: u8(21)
    case .selu(let alpha, let gamma):
      u8(22)
      float(alpha)
      float(gamma)
    case .celu(let alpha):
      u8(23)
      float(alpha)
    case .thresholdedRelu(let alpha):
      u8(24)
      float(alpha)
    case .sign: u8(25)
    case .isNaN: u8(26)
    case .isInf(let negative, let positive):
      u8(27)
      u8((negative ? 1 : 0) | (positive ? 2 : 0))
    case .floor: u8(28)
    case .ceil: u8(29)
    case .round: u8(30)
    case .mish: u8(31)
    case .shrink(let lambd, let bias):
      u8(32)
      float(lambd)
      float(bias)
    case .math(let function):
      u8(33)
      u8(UInt8(MathFunction.allCases.firstIndex(of: function)!))
    }
  }

  mutating func poolKind(_ kind: PoolKind) { u8(kind == .max ? 0 : 1) }

  mutating func binaryOp(_ op: BinaryOp) { u8(UInt8(BinaryOp.allCases.firstIndex(of: op)!)) }
}

extension ByteReader {
  mutating func activation() throws -> Activation {
    switch try u8() {
    case 0: return .none
    case 1: return .relu
    case 2: return .clip(min: try float(), max: try float())
    case 3: return .sigmoid
    case 4: return .hardSigmoid(alpha: try float(), beta: try float())
    case 5: return .hardSwish
    case 6: return .leakyRelu(alpha: try float())
    case 7: return .tanh
    case 8: return .erf
    case 9: return .exp
    case 10: return .neg
    case 11: return .abs
    case 12: return .reciprocal
    case 13: return .sqrt
    case 14: return .power(try float())
    case 15: return .silu
    case 16: return .gelu
    case 17: return .geluTanh
    case 18: return .elu(alpha: try float())
    case 19: return .log
    case 20: return .softplus
    case 21: return .softsign
    case 22: return .selu(alpha: try float(), gamma: try float())
    case 23: return .celu(alpha: try float())
    case 24: return .thresholdedRelu(alpha: try float())
    case 25: return .sign
    case 26: return .isNaN
    case 27:
      let flags = try u8()
      guard flags < 4 else { throw PlanError.format("\(context): isinf flags \(flags)") }
      return .isInf(negative: flags & 1 != 0, positive: flags & 2 != 0)
    case 28: return .floor
    case 29: return .ceil
    case 30: return .round
    case 31: return .mish
    case 32: return .shrink(lambd: try float(), bias: try float())
    case 33:
      let code = Int(try u8())
      guard code < MathFunction.allCases.count else { throw PlanError.format("\(context): unknown math function \(code)") }
      return .math(MathFunction.allCases[code])
    case let t: throw PlanError.format("\(context): unknown activation \(t)")
    }
  }

  mutating func poolKind() throws -> PoolKind {
    switch try u8() {
    case 0: return .max
    case 1: return .average
    case let t: throw PlanError.format("\(context): unknown pool kind \(t)")
    }
  }

  mutating func binaryOp() throws -> BinaryOp {
    let tag = Int(try u8())
    guard tag < BinaryOp.allCases.count else { throw PlanError.format("\(context): unknown binary op \(tag)") }
    return BinaryOp.allCases[tag]
  }
}

// MARK: - Wording

extension PlanDescription {
  /// ` relu`, ` clip(0, 6)`, or nothing: the suffix a fused activation adds to a step's summary.
  static func suffix(_ a: Activation) -> String {
    switch a {
    case .none: return ""
    case .relu: return " relu"
    case .clip(let lo, let hi): return " clip(\(number(lo)), \(number(hi)))"
    case .sigmoid: return " sigmoid"
    case .hardSigmoid(let alpha, let beta): return " hardsigmoid(\(number(alpha)), \(number(beta)))"
    case .hardSwish: return " hardswish"
    case .leakyRelu(let alpha): return " leakyrelu(\(number(alpha)))"
    case .tanh: return " tanh"
    case .erf: return " erf"
    case .exp: return " exp"
    case .neg: return " neg"
    case .abs: return " abs"
    case .reciprocal: return " reciprocal"
    case .sqrt: return " sqrt"
    case .power(let exponent): return " pow(\(number(exponent)))"
    case .silu: return " silu"
    case .gelu: return " gelu"
    case .geluTanh: return " gelu(tanh)"
    case .elu(let alpha): return " elu(\(number(alpha)))"
    case .log: return " log"
    case .softplus: return " softplus"
    case .softsign: return " softsign"
    case .selu(let alpha, let gamma): return " selu(\(number(alpha)), \(number(gamma)))"
    case .celu(let alpha): return " celu(\(number(alpha)))"
    case .thresholdedRelu(let alpha): return " thresholdedrelu(\(number(alpha)))"
    case .sign: return " sign"
    case .isNaN: return " isnan"
    case .isInf(let negative, let positive): return " isinf(\(negative ? "-" : "")\(positive ? "+" : ""))"
    case .floor: return " floor"
    case .ceil: return " ceil"
    case .round: return " round"
    case .mish: return " mish"
    case .shrink(let lambd, let bias): return " shrink(\(number(lambd)), \(number(bias)))"
    case .math(let function): return " \(function)"
    }
  }

  /// `relu`, `clip(0, 6)`, or empty for none: an activation as listings name it.
  public static func activation(_ a: Activation) -> String { String(suffix(a).dropFirst()) }

  /// `add`, `sub`, `mul`, `div`, `pow`.
  static func name(_ op: BinaryOp) -> String {
    switch op {
    case .add: return "add"
    case .sub: return "sub"
    case .mul: return "mul"
    case .div: return "div"
    case .pow: return "pow"
    case .max: return "max"
    case .min: return "min"
    case .prelu: return "prelu"
    case .equal: return "equal"
    case .less: return "less"
    case .greater: return "greater"
    case .lessOrEqual: return "less-or-equal"
    case .greaterOrEqual: return "greater-or-equal"
    case .and: return "and"
    case .or: return "or"
    case .xor: return "xor"
    case .fmod: return "fmod"
    }
  }
}
