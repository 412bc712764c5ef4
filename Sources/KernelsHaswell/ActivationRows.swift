// The activations built on VectorMath (a few dozen operations per element), compiled once per
// instruction set like MicroKernels.swift (KernelsGeneric and KernelsSkylakeX link this file).

/// `output[i] = f(input[i])` for `i < count`, where `kind` picks `f`: 0 sigmoid, 1 SiLU
/// (`x * sigmoid(x)`), 2 tanh, 3 erf, 4 exp, 5 GELU, 6 GELU's tanh form (GraphRuntime's
/// `Activation.transcendentalKind`).
/// 16 at a time; the tail as one zero-padded vector, so each element gets what a lane would.
/// `output` may equal `input`.
public func transcendentalRow(kind: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
  switch kind {
  case 0: row(input, output, count) { VectorMath.sigmoid($0) }
  case 1: row(input, output, count) { $0 * VectorMath.sigmoid($0) }
  case 2: row(input, output, count) { VectorMath.tanh($0) }
  case 3: row(input, output, count) { VectorMath.erf($0) }
  case 5: row(input, output, count) { VectorMath.gelu($0) }
  case 6: row(input, output, count) { VectorMath.geluTanh($0) }
  default: row(input, output, count) { VectorMath.exp($0) }
  }
}

@inline(__always)
private func row(
  _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int, _ f: (SIMD16<Float>) -> SIMD16<Float>
) {
  var i = 0
  while i + 16 <= count {
    let v = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
    UnsafeMutableRawPointer(output + i).storeBytes(of: f(v), as: SIMD16<Float>.self)
    i += 16
  }
  if i < count {
    VectorMath.store(f(VectorMath.load(input + i, count: count - i)), output + i, count: count - i)
  }
}
