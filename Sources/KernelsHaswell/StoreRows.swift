// The GEMM's store of finished sums, compiled once per instruction set like MicroKernels.swift
// (KernelsGeneric and KernelsSkylakeX link this file): built for the GraphRuntime module
// itself, its 16-lane vectors were four SSE registers each, and the store took 7% of ResNet-50.

/// `dst[j] = clamp(alpha * src[j] + rowBias + colBias[j] + residual[j], lower, upper)` for
/// `j < count`, with a missing `colBias` or `residual` adding zeros (so the sums, and the sign
/// of a zero, are those of GraphRuntime's general store). The clamp is written as comparisons
/// (`v < lower ? lower : v`, then the same with `upper`), so NaN passes through and
/// lower > upper gives `upper`: no clamp, ReLU and Clip are all this row. 16 at a time; the
/// tail as one zero-padded vector, so each element gets what a lane would. `dst` may equal `src`.
public func clampedStoreRow(
  src: UnsafePointer<Float>, count: Int, dst: UnsafeMutablePointer<Float>, alpha: Float, rowBias: Float,
  colBias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, lower: Float, upper: Float
) {
  typealias V = SIMD16<Float>
  @inline(__always)
  func value(_ acc: V, _ colBias: V, _ residual: V) -> V {
    let v = alpha * acc + rowBias + colBias + residual
    let low = v.replacing(with: lower, where: v .< lower)
    return low.replacing(with: upper, where: low .> upper)
  }
  var j = 0
  while j + 16 <= count {
    let a = UnsafeRawPointer(src + j).loadUnaligned(as: V.self)
    let cb = colBias.map { UnsafeRawPointer($0 + j).loadUnaligned(as: V.self) } ?? V()
    let res = residual.map { UnsafeRawPointer($0 + j).loadUnaligned(as: V.self) } ?? V()
    UnsafeMutableRawPointer(dst + j).storeBytes(of: value(a, cb, res), as: V.self)
    j += 16
  }
  if j < count {
    let n = count - j
    let a = VectorMath.load(src + j, count: n)
    let cb = colBias.map { VectorMath.load($0 + j, count: n) } ?? V()
    let res = residual.map { VectorMath.load($0 + j, count: n) } ?? V()
    VectorMath.store(value(a, cb, res), dst + j, count: n)
  }
}
