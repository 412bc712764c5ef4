#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GraphPlan

extension Reference {
  /// `out = a op b` with NumPy broadcasting, for ranks up to 6. Returns the output shape;
  /// `output` must hold `broadcastShape(aShape, bShape)`'s element count.
  @discardableResult
  public static func binary(
    _ op: BinaryOp, a: UnsafePointer<Float>, aShape: [Int], b: UnsafePointer<Float>, bShape: [Int],
    output: UnsafeMutablePointer<Float>
  ) throws -> [Int] {
    guard aShape.count <= 6, bShape.count <= 6 else {
      throw ReferenceError("\(op): rank above 6 (\(aShape), \(bShape))")
    }
    let shape = try broadcastShape(aShape, bShape)
    let aStrides = Broadcast.strides(aShape, to: shape)
    let bStrides = Broadcast.strides(bShape, to: shape)
    let count = shape.reduce(1, *)
    for index in 0..<count {
      let (ai, bi) = Broadcast.offsets(of: index, in: shape, aStrides, bStrides)
      output[index] = arithmetic(op, a[ai], b[bi])
    }
    return shape
  }

  /// `max(x, 0)` over `count` elements; `output` may equal `input`.
  public static func relu(_ input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
    for i in 0..<count { output[i] = activate(.relu, input[i]) }
  }

  /// `activation` over `count` elements; `output` may equal `input`.
  public static func activation(
    _ activation: Activation, _ input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<count { output[i] = activate(activation, input[i]) }
  }

  /// `min(max(x, lo), hi)` over `count` elements; `output` may equal `input`.
  public static func clip(
    _ input: UnsafePointer<Float>, count: Int, min lo: Float, max hi: Float, output: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<count { output[i] = activate(.clip(min: lo, max: hi), input[i]) }
  }
}

extension Reference {
  /// `out = condition != 0 ? x : y` with NumPy broadcasting of all three (ONNX Where, a bool
  /// condition as float 0/1), ranks up to 6. Returns the output shape.
  @discardableResult
  public static func select(
    condition: UnsafePointer<Float>, conditionShape: [Int], x: UnsafePointer<Float>, xShape: [Int],
    y: UnsafePointer<Float>, yShape: [Int], output: UnsafeMutablePointer<Float>
  ) throws -> [Int] {
    guard conditionShape.count <= 6, xShape.count <= 6, yShape.count <= 6 else {
      throw ReferenceError("select: rank above 6 (\(conditionShape), \(xShape), \(yShape))")
    }
    let shape = try broadcastShape(try broadcastShape(conditionShape, xShape), yShape)
    let cs = Broadcast.strides(conditionShape, to: shape), xs = Broadcast.strides(xShape, to: shape)
    let ys = Broadcast.strides(yShape, to: shape)
    for index in 0..<shape.reduce(1, *) {
      let (ci, xi) = Broadcast.offsets(of: index, in: shape, cs, xs)
      let (_, yi) = Broadcast.offsets(of: index, in: shape, cs, ys)
      output[index] = condition[ci] != 0 ? x[xi] : y[yi]
    }
    return shape
  }
}

extension Reference {
  /// The NumPy broadcast of two shapes (see ``Broadcast/shape(_:_:)``), or an error naming both.
  public static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
    guard let shape = Broadcast.shape(a, b) else { throw ReferenceError("cannot broadcast shapes \(a) and \(b)") }
    return shape
  }

  /// `a op b`, spelled out here so that the oracle shares no arithmetic with the runtime's kernels.
  static func arithmetic(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
    switch op {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    // In double precision, rounded once: C's pow follows the same special-value rules as powf.
    case .pow: return Float(pow(Double(a), Double(b)))
    case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
    case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
    case .prelu: return a < 0 ? Float(Double(a) * Double(b)) : a
    case .equal: return truth(a == b)
    case .less: return truth(a < b)
    case .greater: return truth(a > b)
    case .lessOrEqual: return truth(a <= b)
    case .greaterOrEqual: return truth(a >= b)
    case .and: return truth(a != 0 && b != 0)
    case .or: return truth(a != 0 || b != 0)
    case .xor: return truth((a != 0) != (b != 0))
    // Swift's truncatingRemainder is C's fmod (exact: the remainder is always representable).
    case .fmod: return a.truncatingRemainder(dividingBy: b)
    }
  }

  /// A bool as the runtime carries it: 1 or 0.
  static func truth(_ condition: Bool) -> Float { condition ? 1 : 0 }

  /// The activation of one value, spelled out here for the same reason. Written as
  /// comparisons so that NaN passes through, as in ONNX Runtime.
  static func activate(_ activation: Activation, _ x: Float) -> Float {
    switch activation {
    case .none:
      return x
    case .relu:
      if x < 0 { return 0 }
      return x
    case .clip(let lo, let hi):
      // max(x, lo) first, then min(., hi): with lo > hi the result is hi, as ONNX says.
      var y = x
      if y < lo { y = lo }
      if y > hi { y = hi }
      return y
    case .sigmoid:
      return Float(1 / (1 + exp(-Double(x))))
    case .hardSigmoid(let alpha, let beta):
      return Float(clampToUnit(Double(alpha) * Double(x) + Double(beta)))
    case .hardSwish:
      return Float(Double(x) * clampToUnit(Double(x) / 6 + 0.5))
    case .leakyRelu(let alpha):
      if x < 0 { return Float(Double(alpha) * Double(x)) }
      return x
    case .tanh:
      return Float(tanh(Double(x)))
    case .erf:
      return Float(erf(Double(x)))
    case .exp:
      return Float(exp(Double(x)))
    case .neg:
      return -x
    case .abs:
      return x < 0 ? -x : x
    case .reciprocal:
      return Float(1 / Double(x))
    case .sqrt:
      return Float(Double(x).squareRoot())
    case .power(let exponent):
      return Float(pow(Double(x), Double(exponent)))
    case .silu:
      return Float(Double(x) / (1 + exp(-Double(x))))
    case .gelu:
      return Float(Double(x) / 2 * (1 + erf(Double(x) / 2.0.squareRoot())))
    case .geluTanh:
      let v = Double(x)
      return Float(v / 2 * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
    case .elu(let alpha):
      if x < 0 { return Float(Double(alpha) * (exp(Double(x)) - 1)) }
      return x
    case .log:
      return Float(log(Double(x)))
    case .softplus:
      let v = Double(x)
      return Float(v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)))
    case .softsign:
      return Float(Double(x) / (1 + Swift.abs(Double(x))))
    case .selu(let alpha, let gamma):
      let v = Double(x)
      return Float(Double(gamma) * (v > 0 ? v : Double(alpha) * (exp(v) - 1)))
    case .celu(let alpha):
      let v = Double(x), a = Double(alpha)
      if x.isNaN { return x }
      return Float(Swift.max(0, v) + Swift.min(0, a * (exp(v / a) - 1)))
    case .thresholdedRelu(let alpha):
      return x > alpha ? x : 0
    case .sign:
      if x.isNaN || x == 0 { return x }
      return x > 0 ? 1 : -1
    case .isNaN:
      return x.isNaN ? 1 : 0
    case .isInf(let negative, let positive):
      guard x.isInfinite else { return 0 }
      return (x > 0 ? positive : negative) ? 1 : 0
    case .floor:
      return Float(floor(Double(x)))
    case .ceil:
      return Float(ceil(Double(x)))
    case .round:
      // Half to even, spelled out: the floor, one up past the half, and at the half the even neighbour.
      let v = Double(x), down = floor(v), fraction = v - down
      guard v.isFinite else { return x }
      let up = fraction > 0.5 || (fraction == 0.5 && down.truncatingRemainder(dividingBy: 2) != 0)
      // copysign keeps -0.3 → -0 as ONNX Runtime gives it.
      return Float(copysign(up ? down + 1 : down, v))
    case .mish:
      let v = Double(x)
      return Float(v * tanh(v > 0 ? v + log1p(exp(-v)) : log1p(exp(v))))
    case .shrink(let lambd, let bias):
      let v = Double(x)
      return Float(v < -Double(lambd) ? v + Double(bias) : v > Double(lambd) ? v - Double(bias) : 0)
    case .math(let function):
      let v = Double(x)
      switch function {
      case .sin: return Float(sin(v))
      case .cos: return Float(cos(v))
      case .tan: return Float(tan(v))
      case .asin: return Float(asin(v))
      case .acos: return Float(acos(v))
      case .atan: return Float(atan(v))
      case .sinh: return Float(sinh(v))
      case .cosh: return Float(cosh(v))
      case .asinh: return Float(asinh(v))
      case .acosh: return Float(acosh(v))
      case .atanh: return Float(atanh(v))
      }
    }
  }

  /// `v` limited to [0, 1]; NaN stays NaN.
  static func clampToUnit(_ v: Double) -> Double {
    if v < 0 { return 0 }
    if v > 1 { return 1 }
    return v
  }
}
