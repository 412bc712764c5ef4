// The vector widths the kernels' epilogues run at, compiled once per instruction set like
// MicroKernels.swift (KernelsGeneric and KernelsSkylakeX link this file).

#if GRAPHC_FMA
  import CVectorShims
#endif

/// A vector of floats whose arithmetic is spelled on the concrete types, where it compiles to
/// single vector instructions (generic `SIMD` comparisons and selects go lane by lane); loads
/// need no such care.
protocol KernelVector: SIMD where Scalar == Float {
  /// `self + x * weight` (fused where the CPU has FMA).
  func addingTap(_ x: Self, _ weight: Float) -> Self
  /// `self` clamped to `[lower, upper]` as comparisons (`v < lower ? lower : v`, then the same
  /// with `upper`), so NaN passes through and lower > upper gives `upper`, as ONNX's Clip does.
  func clamped(_ lower: Float, _ upper: Float) -> Self
}

extension KernelVector {
  static var zero: Self { Self() }
  @inline(__always) static func load(_ p: UnsafeRawPointer) -> Self { p.loadUnaligned(as: Self.self) }
  /// The first `count` floats at `p`, the other lanes zero.
  @inline(__always) static func zeroPadded(_ p: UnsafePointer<Float>, _ count: Int) -> Self {
    var v = Self()
    withUnsafeMutableBytes(of: &v) { copyPieces(from: UnsafeRawPointer(p), to: $0.baseAddress!, floats: count) }
    return v
  }

  /// The first `count` lanes stored at `p`, the floats after them untouched.
  @inline(__always) func storePrefix(_ count: Int, to p: UnsafeMutablePointer<Float>) {
    withUnsafeBytes(of: self) { copyPieces(from: $0.baseAddress!, to: UnsafeMutableRawPointer(p), floats: count) }
  }

  /// `clamp(self + bias + residual, lower, upper)`.
  @_transparent func finished(bias: Float, residual: Self?, lower: Float, upper: Float) -> Self {
    var v = self + bias
    if let residual { v += residual }
    return v.clamped(lower, upper)
  }

  /// A GEMM tile's row through the store's epilogue: `clamp(sum + rowBias + 0 + residual, lower,
  /// upper)`, the bits of `clampedStoreRow` with alpha 1 and no column bias (whose zero turns a sum
  /// of -0 into +0).
  @_transparent func storedRow(bias: Float, residual: Self, lower: Float, upper: Float) -> Self {
    (((self + bias) + 0) + residual).clamped(lower, upper)
  }
}

extension SIMD16<Float>: KernelVector {
  @inline(__always) func addingTap(_ x: Self, _ weight: Float) -> Self { mulAdd(self, x, Self(repeating: weight)) }
  @_transparent func clamped(_ lower: Float, _ upper: Float) -> Self {
    #if GRAPHC_FMA
      graphc_clamp16(self, lower, upper)  // see Clamp.h: the same function, a max and a min
    #else
      let v = replacing(with: lower, where: self .< lower)
      return v.replacing(with: upper, where: v .> upper)
    #endif
  }
}

extension SIMD8<Float>: KernelVector {
  @inline(__always) func addingTap(_ x: Self, _ weight: Float) -> Self { mulAdd(self, x, Self(repeating: weight)) }
  @_transparent func clamped(_ lower: Float, _ upper: Float) -> Self {
    #if GRAPHC_FMA
      graphc_clamp8(self, lower, upper)  // see Clamp.h: the same function, a max and a min
    #else
      let v = replacing(with: lower, where: self .< lower)
      return v.replacing(with: upper, where: v .> upper)
    #endif
  }
}

/// `floats` (< 16) floats copied in pieces of 8, 4, 2 and 1: a few moves where `copyMemory`
/// would call `memcpy`.
@inline(__always)
private func copyPieces(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, floats: Int) {
  var offset = 0
  if floats & 8 != 0 { dst.storeBytes(of: src.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self); offset = 32 }
  if floats & 4 != 0 {
    (dst + offset).storeBytes(of: (src + offset).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
    offset += 16
  }
  if floats & 2 != 0 {
    (dst + offset).storeBytes(of: (src + offset).loadUnaligned(as: SIMD2<Float>.self), as: SIMD2<Float>.self)
    offset += 8
  }
  if floats & 1 != 0 { (dst + offset).storeBytes(of: (src + offset).loadUnaligned(as: Float.self), as: Float.self) }
}
