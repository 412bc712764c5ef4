// The activations that run over rows in the instruction set's module: those built on VectorMath
// (a few dozen operations per element) and HardSwish (which GraphRuntime's baseline build ran
// at SSE's width), compiled once per instruction set like MicroKernels.swift (KernelsGeneric and
// KernelsSkylakeX link this file).

/// `output[i] = f(input[i])` for `i < count`, where `kind` picks `f`: 0 sigmoid, 1 SiLU
/// (`x * sigmoid(x)`, computed as `x / (1 + e^-x)`), 2 tanh, 3 erf, 4 exp, 5 GELU, 6 GELU's tanh form, 7 HardSwish
/// (GraphRuntime's `Activation.rowKind`).
/// 16 at a time; the tail as one zero-padded vector, so each element gets what a lane would.
/// `output` may equal `input`.
public func activationRow(kind: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
  switch kind {
  case 0: row(Sigmoid.self, input, output, count)
  case 1: row(SiLU.self, input, output, count)
  case 2: row(Tanh.self, input, output, count)
  case 3: row(Erf.self, input, output, count)
  case 5: row(GELU.self, input, output, count)
  case 6: row(GELUTanh.self, input, output, count)
  case 7: row(HardSwish.self, input, output, count)
  default: row(Exp.self, input, output, count)
  }
}

/// A row's function as a type, so that `row` is specialized for it with the whole computation
/// inlined in 16-lane registers. Passed as closures, the calls to `VectorMath.exp` stayed out of
/// line, taking and returning their vectors as four 128-bit pieces: SiLU was half of
/// EfficientNet-B0's time.
protocol RowFunction {
  static func apply(_ x: SIMD16<Float>) -> SIMD16<Float>
}

/// No function: what a fused epilogue without a row activation applies.
enum Identity: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
}

/// `x * clamp(x / 6 + 1/2, 0, 1)`, written as GraphRuntime's `Activation.apply` writes it (no
/// multiply-add to fuse), so every module gives its bits.
enum HardSwish: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { x * (x * (1 / 6 as Float) + 0.5).clamped(0, 1) }
}

enum Sigmoid: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.sigmoid(x) }
}

enum SiLU: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.silu(x) }
}

enum Tanh: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.tanh(x) }
}

enum Erf: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.erf(x) }
}

enum GELU: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.gelu(x) }
}

enum GELUTanh: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.geluTanh(x) }
}

enum Exp: RowFunction {
  @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.exp(x) }
}

@inline(__always)
func row<F: RowFunction>(
  _: F.Type, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int
) {
  var i = 0
  while i + 16 <= count {
    let v = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
    UnsafeMutableRawPointer(output + i).storeBytes(of: F.apply(v), as: SIMD16<Float>.self)
    i += 16
  }
  if i < count {
    VectorMath.store(F.apply(VectorMath.load(input + i, count: count - i)), output + i, count: count - i)
  }
}
