#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GraphPlan

// MARK: - Arithmetic of the fast path (the reference kernels spell out their own)

extension Activation {
  /// Applies the activation to one value; written as comparisons so that NaN propagates like ONNX Runtime's.
  /// The transcendental ones run their vector code on a broadcast value, so a scalar tail matches the lanes.
  @inline(__always)
  func apply(_ x: Float) -> Float {
    switch self {
    case .none: return x
    case .relu: return x < 0 ? 0 : x
    // ONNX clips to min first, then to max: with min > max every value becomes max.
    case .clip(let lo, let hi): let y = x < lo ? lo : x; return y > hi ? hi : y
    case .hardSigmoid(let alpha, let beta): return Activation.unitClamp(alpha * x + beta)
    case .hardSwish: return x * Activation.unitClamp(x * (1 / 6 as Float) + 0.5)
    case .leakyRelu(let alpha): return x < 0 ? alpha * x : x
    case .neg: return -x
    case .abs: return x < 0 ? -x : x
    case .reciprocal: return 1 / x
    case .sqrt: return x.squareRoot()
    case .softsign: return x / (1 + (x < 0 ? -x : x))
    case .thresholdedRelu(let alpha): return x > alpha ? x : 0
    case .sign: return x > 0 ? 1 : x < 0 ? -1 : x
    case .isNaN: return x.isNaN ? 1 : 0
    case .isInf(let negative, let positive): return (positive && x == .infinity) || (negative && x == -.infinity) ? 1 : 0
    // Exact, so the same as the vector form's lanes.
    case .floor: return x.rounded(.down)
    case .ceil: return x.rounded(.up)
    case .round: return x.rounded(.toNearestOrEven)
    case .shrink(let lambd, let bias): return x < -lambd ? x + bias : x > lambd ? x - bias : 0
    case .math(let function): return function.apply(x)
    case .sigmoid, .silu, .tanh, .erf, .exp, .power, .gelu, .geluTanh, .elu, .log, .softplus, .selu, .celu, .mish:
      return apply(SIMD16(repeating: x))[0]
    }
  }

  /// The activation as the clamp the instruction sets' row kernels fuse (`depthwisePlane`,
  /// `clampedStoreRow`: no clamp, ReLU and Clip), or no clamp and the activation to run after.
  var clampBounds: (lower: Float, upper: Float, after: Activation?) {
    switch self {
    case .none: (-.infinity, .infinity, nil)
    case .relu: (0, .infinity, nil)
    case .clip(let lo, let hi): (lo, hi, nil)
    default: (-.infinity, .infinity, self)
    }
  }

  /// Applies the activation to 16 values, lane by lane as ``apply(_:)-(Float)`` does.
  @inline(__always)
  func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
    switch self {
    case .none: return x
    // NaN compares false, so it passes through as in the scalar form.
    case .relu: return x.replacing(with: 0, where: x .< 0)
    case .clip(let lo, let hi):
      let y = x.replacing(with: lo, where: x .< lo)
      return y.replacing(with: hi, where: y .> hi)
    case .hardSigmoid(let alpha, let beta): return Activation.unitClamp(alpha * x + beta)
    case .hardSwish: return x * Activation.unitClamp(x * (1 / 6 as Float) + 0.5)
    case .leakyRelu(let alpha): return x.replacing(with: alpha * x, where: x .< 0)
    case .neg: return -x
    case .abs: return x.replacing(with: -x, where: x .< 0)
    case .reciprocal: return 1 / x
    case .sqrt: return x.squareRoot()
    case .sigmoid: return VectorMath.sigmoid(x)
    case .silu: return VectorMath.silu(x)
    case .tanh: return VectorMath.tanh(x)
    case .erf: return VectorMath.erf(x)
    case .exp: return VectorMath.exp(x)
    case .gelu: return VectorMath.gelu(x)
    case .geluTanh: return VectorMath.geluTanh(x)
    case .elu(let alpha): return x.replacing(with: alpha * VectorMath.expm1(x), where: x .< 0)
    case .log: return VectorMath.log(x)
    case .softplus: return VectorMath.softplus(x)
    case .softsign: return x / (1 + x.replacing(with: -x, where: x .< 0))
    case .selu(let alpha, let gamma): return gamma * x.replacing(with: alpha * VectorMath.expm1(x), where: .!(x .> 0))
    case .celu(let alpha):
      // max(0, x) + min(0, alpha * expm1(x / alpha)): the first term for x > 0, the second below.
      return x.replacing(with: alpha * VectorMath.expm1(x / alpha), where: x .< 0)
    case .thresholdedRelu(let alpha): return x.replacing(with: 0, where: .!(x .> alpha))
    case .sign: return x.replacing(with: 1, where: x .> 0).replacing(with: -1, where: x .< 0)
    case .isNaN: return SIMD16(repeating: 0).replacing(with: 1, where: x .!= x)
    case .isInf(let negative, let positive):
      let ones = (x .== .infinity) .& SIMDMask(repeating: positive) .| ((x .== -.infinity) .& SIMDMask(repeating: negative))
      return SIMD16(repeating: 0).replacing(with: 1, where: ones)
    case .floor:
      // One below where rounding to nearest went up; -0 and -0.5 stay -0 and become -1.
      let r = Activation.roundHalfEven(x)
      return r.replacing(with: r - 1, where: r .> x)
    case .ceil:
      let r = Activation.roundHalfEven(x)
      return r.replacing(with: r + 1, where: r .< x)
    case .round: return Activation.roundHalfEven(x)
    // tanh(softplus(x)) approaches 1 fast: above 20 it is 1 in float, and x passes through.
    case .mish: return x * VectorMath.tanh(VectorMath.softplus(x))
    case .shrink(let lambd, let bias):
      // NaN compares false both ways and gives 0, as in ONNX's reference and onnxruntime.
      return SIMD16(repeating: 0).replacing(with: x + bias, where: x .< -lambd).replacing(with: x - bias, where: x .> lambd)
    case .math(let function):
      var out = x
      for lane in 0..<16 { out[lane] = function.apply(x[lane]) }
      return out
    case .power(let e):
      switch e {
      case 1: return x
      case 2: return x * x
      case 3: return x * x * x
      case 0.5: return x.squareRoot()
      case -1: return 1 / x
      default:
        var out = x
        for lane in 0..<16 { out[lane] = powf(x[lane], e) }
        return out
      }
    }
  }

  /// `activationRow`'s code for the activations the instruction set's module runs over rows (the
  /// same code as ``apply(_:)-(SIMD16<Float>)``, there at the set's width), or nil.
  var rowKind: Int? {
    switch self {
    case .sigmoid: 0
    case .silu: 1
    case .tanh: 2
    case .erf: 3
    case .exp: 4
    case .gelu: 5
    case .geluTanh: 6
    case .hardSwish: 7
    default: nil
    }
  }

  /// `x` rounded to the nearest integer, halves to even: `|x| + 2^23 - 2^23` makes the FPU round
  /// away the fraction (ties to even, the default mode), the sign put back so -0.3 gives -0. From
  /// 2^23 on every float is an integer (±inf too) and is kept; NaN fails the comparison and is kept.
  @inline(__always)
  static func roundHalfEven(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self), sign = bits & 0x8000_0000
    let magnitude = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    let twoTo23: Float = 8_388_608
    let rounded = unsafeBitCast(unsafeBitCast((magnitude + twoTo23) - twoTo23, to: SIMD16<UInt32>.self) | sign, to: SIMD16<Float>.self)
    return x.replacing(with: rounded, where: magnitude .< twoTo23)
  }

  /// `max(0, min(1, v))` on 16 values, NaN passing through.
  @inline(__always)
  static func unitClamp(_ v: SIMD16<Float>) -> SIMD16<Float> {
    let y = v.replacing(with: 0, where: v .< 0)
    return y.replacing(with: 1, where: y .> 1)
  }

  /// `max(0, min(1, v))`, NaN passing through.
  @inline(__always)
  static func unitClamp(_ v: Float) -> Float {
    let y = v < 0 ? 0 : v
    return y > 1 ? 1 : y
  }
}

/// A binary operator as a type: the broadcast loops are specialized for each.
private protocol FloatOperator { static func apply(_ a: Float, _ b: Float) -> Float }
private enum Add: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
private enum Subtract: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
private enum Multiply: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
private enum Divide: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
/// C's `powf` per element, as onnxruntime computes Pow: its special values are ONNX's.
private enum Power: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
/// NaN in either operand wins (NumPy's `maximum`, ONNX's reference).
private enum Maximum: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a > b || a != a ? a : b } }
private enum Minimum: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a < b || a != a ? a : b } }
private enum ParametricRelu: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a < 0 ? a * b : a } }
// Comparisons and logic give float 1 or 0 (a run-time bool); any comparison with NaN is false.
private enum Equal: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
private enum Less: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
private enum Greater: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
private enum LessOrEqual: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
private enum GreaterOrEqual: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }
private enum LogicalAnd: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a != 0 && b != 0 ? 1 : 0 } }
private enum LogicalOr: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a != 0 || b != 0 ? 1 : 0 } }
private enum LogicalXor: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { (a != 0) != (b != 0) ? 1 : 0 } }
/// C's `fmodf` (ONNX Mod with `fmod=1`): the remainder with the dividend's sign.
private enum FloatRemainder: FloatOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { fmodf(a, b) } }

/// One row of a broadcast walk: `columns` of the output row, each operand read from its start
/// with a fixed step (0 or 1; any step in the general case).
private protocol RowLoop {
  static func run(
    _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
    steps: (Int, Int, Int), columns: Range<Int>)
}

/// `out = a op b` along a row, with a loop for each pair of contiguous or broadcast operands.
private enum BinaryRow<Op: FloatOperator>: RowLoop {
  @inline(__always)
  static func run(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _: UnsafePointer<Float>,
    steps: (Int, Int, Int), columns: Range<Int>
  ) {
    switch (steps.0, steps.1) {
    case (1, 1): for i in columns { out[i] = Op.apply(x[i], y[i]) }
    case (1, 0):
      let c = y[0]
      for i in columns { out[i] = Op.apply(x[i], c) }
    case (0, 1):
      let c = x[0]
      for i in columns { out[i] = Op.apply(c, y[i]) }
    default: for i in columns { out[i] = Op.apply(x[i * steps.0], y[i * steps.1]) }
    }
  }
}

/// `out = c != 0 ? a : b` along a row (a select's x, y and condition). A condition constant
/// along the row copies one operand; the common forms (a mask against a row, a scalar fill)
/// get their own loops, which vectorize.
private enum SelectRow: RowLoop {
  @inline(__always)
  static func run(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
    steps: (Int, Int, Int), columns: Range<Int>
  ) {
    switch steps {
    case (_, _, 0):
      let (from, step) = c[0] != 0 ? (x, steps.0) : (y, steps.1)
      for i in columns { out[i] = from[i * step] }
    case (1, 1, 1): for i in columns { out[i] = c[i] != 0 ? x[i] : y[i] }
    case (0, 1, 1):
      let v = x[0]
      for i in columns { out[i] = c[i] != 0 ? v : y[i] }
    case (1, 0, 1):
      let v = y[0]
      for i in columns { out[i] = c[i] != 0 ? x[i] : v }
    default: for i in columns { out[i] = c[i * steps.2] != 0 ? x[i * steps.0] : y[i * steps.1] }
    }
  }
}

extension Kernels {
  /// `out = a op b` with NumPy broadcasting (ranks up to 6); same numbers as
  /// `Reference.binary` (GraphReference), which decomposes every element's index.
  /// Returns the output shape.
  @discardableResult
  package static func binary(
    _ op: BinaryOp, a: UnsafePointer<Float>, aShape: [Int], b: UnsafePointer<Float>, bShape: [Int],
    output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) throws(RuntimeError) -> [Int] {
    let layout: BroadcastRows
    do { layout = try BroadcastRows(aShape, bShape) } catch { throw .shape("\(op): \(error.message)") }
    binary(op, layout, a: a, b: b, output: output, pool: pool)
    return layout.shape
  }

  /// `out = a op b` over operands laid out as `layout` says (a session's binary steps work theirs
  /// out once). The index work is done once per row, each row runs with a fixed stride (0 or 1)
  /// per operand in a loop specialized for the operator, and rows are split across the pool.
  package static func binary(
    _ op: BinaryOp, _ layout: BroadcastRows, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    if layout.count == 0 { return }
    switch op {
    case .add: broadcastRows(Add.self, layout, a, b, output, pool)
    case .sub: broadcastRows(Subtract.self, layout, a, b, output, pool)
    case .mul: broadcastRows(Multiply.self, layout, a, b, output, pool)
    case .div: broadcastRows(Divide.self, layout, a, b, output, pool)
    case .pow: broadcastRows(Power.self, layout, a, b, output, pool)
    case .max: broadcastRows(Maximum.self, layout, a, b, output, pool)
    case .min: broadcastRows(Minimum.self, layout, a, b, output, pool)
    case .prelu: broadcastRows(ParametricRelu.self, layout, a, b, output, pool)
    case .equal: broadcastRows(Equal.self, layout, a, b, output, pool)
    case .less: broadcastRows(Less.self, layout, a, b, output, pool)
    case .greater: broadcastRows(Greater.self, layout, a, b, output, pool)
    case .lessOrEqual: broadcastRows(LessOrEqual.self, layout, a, b, output, pool)
    case .greaterOrEqual: broadcastRows(GreaterOrEqual.self, layout, a, b, output, pool)
    case .and: broadcastRows(LogicalAnd.self, layout, a, b, output, pool)
    case .or: broadcastRows(LogicalOr.self, layout, a, b, output, pool)
    case .xor: broadcastRows(LogicalXor.self, layout, a, b, output, pool)
    case .fmod: broadcastRows(FloatRemainder.self, layout, a, b, output, pool)
    }
  }

  /// A binary operator's rows (the third operand of the shared row walk unused).
  private static func broadcastRows<Op: FloatOperator>(
    _: Op.Type, _ layout: BroadcastRows, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ output: UnsafeMutablePointer<Float>, _ pool: ThreadPool?
  ) {
    broadcastRows(BinaryRow<Op>.self, layout, a, b, a, output, pool)
  }

  /// `out = condition != 0 ? x : y` with NumPy broadcasting of the three (ONNX Where; a bool
  /// condition is float 0/1); same numbers as `Reference.select`. Returns the output shape.
  @discardableResult
  package static func select(
    condition: UnsafePointer<Float>, conditionShape: [Int], x: UnsafePointer<Float>, xShape: [Int],
    y: UnsafePointer<Float>, yShape: [Int], output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) throws(RuntimeError) -> [Int] {
    let layout: BroadcastRows
    do { layout = try BroadcastRows(xShape, yShape, conditionShape) } catch { throw .shape("select: \(error.message)") }
    select(layout, condition: condition, x: x, y: y, output: output, pool: pool)
    return layout.shape
  }

  /// ``select(condition:conditionShape:x:xShape:y:yShape:output:pool:)`` over operands laid out as
  /// `layout` says: x and y its operands a and b, the condition its c.
  package static func select(
    _ layout: BroadcastRows, condition: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    if layout.count == 0 { return }
    broadcastRows(SelectRow.self, layout, x, y, condition, output, pool)
  }

  /// The rows of a broadcast layout in pieces of about `grain` elements (whole rows, or a long
  /// row in segments) across the pool, each row run by `Row` (a type, so that its loops are
  /// specialized and vectorize): what binary and select steps share.
  private static func broadcastRows<Row: RowLoop>(
    _: Row.Type, _ layout: BroadcastRows, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
    _ output: UnsafeMutablePointer<Float>, _ pool: ThreadPool?
  ) {
    let grain = 16_384, rowLength = layout.rowLength
    let segments = (rowLength + grain - 1) / grain, segment = (rowLength + segments - 1) / segments
    let rowsPerChunk = max(1, grain / rowLength)
    let pieces = segments > 1 ? layout.rows * segments : (layout.rows + rowsPerChunk - 1) / rowsPerChunk
    withUnsafePointer(to: layout) { layout in
      broadcastRows(Row.self, layout, (a, b, c), output, pool, pieces: pieces, segments: segments, segment: segment, rowsPerChunk: rowsPerChunk)
    }
  }

  private static func broadcastRows<Row: RowLoop>(
    _: Row.Type, _ layoutPointer: UnsafePointer<BroadcastRows>,
    _ operands: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
    _ output: UnsafeMutablePointer<Float>, _ pool: ThreadPool?, pieces: Int, segments: Int, segment: Int, rowsPerChunk: Int
  ) {
    parallelFor(pool, pieces, (layoutPointer, operands, output, segments, segment, rowsPerChunk)) { context, piece in
      let (layoutPointer, (a, b, c), output, segments, segment, rowsPerChunk) = context
      // Read through the pointer: a copy of the layout would retain its arrays.
      let rowLength = layoutPointer.pointee.rowLength, rows = layoutPointer.pointee.rows
      let rowRange = segments > 1 ? (piece / segments)..<(piece / segments + 1) : (piece * rowsPerChunk)..<min(rows, (piece + 1) * rowsPerChunk)
      let columns = segments > 1 ? (piece % segments * segment)..<min(rowLength, (piece % segments + 1) * segment) : 0..<rowLength
      let steps = (layoutPointer.pointee.aStrides.last!, layoutPointer.pointee.bStrides.last!, layoutPointer.pointee.cStrides.last!)
      for row in rowRange {
        let (ai, bi, ci) = layoutPointer.pointee.offsets(ofRow: row)
        Row.run(output + row * rowLength, a + ai, b + bi, c + ci, steps: steps, columns: columns)
      }
    }
  }

  /// Applies `activation` to `count` elements; `output` may equal `input`. Those with a
  /// ``Activation/rowKind`` run in the instruction set's module (`kernels`), the others here.
  package static func activation(
    _ activation: Activation, _ input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil, kernels: KernelTable = .current
  ) {
    let chunk = 65_536
    withUnsafePointer(to: kernels) { kernels in
      parallelFor(pool, (count + chunk - 1) / chunk, (activation, input, count, output, kernels, chunk)) { context, c in
        let (activation, input, count, output, kernels, chunk) = context
        let kind = activation.rowKind
        var i = c * chunk
        let end = min(count, (c + 1) * chunk)
        if let kind {
          kernels.pointee.activationRow(kind, input + i, output + i, end - i)
          return
        }
        while i + 16 <= end {
          let v = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
          UnsafeMutableRawPointer(output + i).storeBytes(of: activation.apply(v), as: SIMD16<Float>.self)
          i += 16
        }
        // The tail as one zero-padded vector (a lane's result does not depend on the others).
        if i < end {
          VectorMath.store(activation.apply(VectorMath.load(input + i, count: end - i)), output + i, count: end - i)
        }
      }
    }
  }

  /// Per-channel `y = x * scale[c] + shift[c]` (folded BatchNormalization) over
  /// `[batch, channels, spatial]`, threads over planes; `output` may equal `input`.
  package static func channelAffine(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil
  ) {
    parallelFor(pool, batch * channels, (input, channels, spatial, scale, shift, output)) { context, plane in
      let (input, channels, spatial, scale, shift, output) = context
      let a = scale[plane % channels], b = shift[plane % channels]
      let x = input + plane * spatial, y = output + plane * spatial
      for i in 0..<spatial { y[i] = x[i] * a + b }
    }
  }
}
