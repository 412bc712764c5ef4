// Depthwise convolution's inner loop, compiled once per instruction set like MicroKernels.swift
// (KernelsGeneric and KernelsSkylakeX link this file). GraphRuntime's DepthwiseConv.swift
// prepares zero-padded input rows, so every output column takes the same vector path.

/// One output row of a depthwise convolution, 16 columns at a time, with the epilogue fused:
/// `output[x] = clamp(sum + bias + residual[x], lower, upper)` for `x < count`, where `sum`
/// adds `weights[r * kernelWidth + k] * rows[r][x + columnOffsets[k]]` over the rows `r` in
/// order, then `k` in order (each product a fused multiply-add where the CPU has FMA).
///
/// Each row is zero-padded and readable up to `columnOffsets[k] + count` rounded up to 16
/// floats, so the last vector needs no tail path (its extra lanes are computed, not stored).
/// The clamp is written as comparisons (`v < lower ? lower : v`, then the same with `upper`),
/// so NaN passes through and lower > upper gives `upper`, as ONNX's Clip does.
public func depthwiseRow(
  rows: UnsafePointer<UnsafePointer<Float>>, rowCount: Int, weights: UnsafePointer<Float>, kernelWidth: Int,
  columnOffsets: UnsafePointer<Int>, count: Int, bias: Float, residual: UnsafePointer<Float>?, lower: Float, upper: Float,
  output: UnsafeMutablePointer<Float>
) {
  // Constant sizes let the compiler unroll the taps (all kernel rows inside the image is the common case).
  switch (kernelWidth, rowCount) {
  case (3, 3): depthwiseRow(3, rows, 3, weights, columnOffsets, count, bias, residual, lower, upper, output)
  case (5, 5): depthwiseRow(5, rows, 5, weights, columnOffsets, count, bias, residual, lower, upper, output)
  case (7, 7): depthwiseRow(7, rows, 7, weights, columnOffsets, count, bias, residual, lower, upper, output)
  case (3, _): depthwiseRow(3, rows, rowCount, weights, columnOffsets, count, bias, residual, lower, upper, output)
  case (5, _): depthwiseRow(5, rows, rowCount, weights, columnOffsets, count, bias, residual, lower, upper, output)
  default: depthwiseRow(kernelWidth, rows, rowCount, weights, columnOffsets, count, bias, residual, lower, upper, output)
  }
}

@inline(__always)
private func depthwiseRow(
  _ kernelWidth: Int, _ rows: UnsafePointer<UnsafePointer<Float>>, _ rowCount: Int, _ weights: UnsafePointer<Float>,
  _ columnOffsets: UnsafePointer<Int>, _ count: Int, _ bias: Float, _ residual: UnsafePointer<Float>?, _ lower: Float,
  _ upper: Float, _ output: UnsafeMutablePointer<Float>
) {
  typealias V = SIMD16<Float>
  var x = 0
  while x < count {
    var sum = V()
    for r in 0..<rowCount {
      let row = UnsafeRawPointer(rows[r] + x)
      for k in 0..<kernelWidth {
        let v = row.loadUnaligned(fromByteOffset: columnOffsets[k] * 4, as: V.self)
        sum = mulAdd(sum, v, V(repeating: weights[r * kernelWidth + k]))
      }
    }
    sum += bias
    let n = min(16, count - x)
    if let residual {
      sum += n == 16 ? UnsafeRawPointer(residual + x).loadUnaligned(as: V.self) : VectorMath.load(residual + x, count: n)
    }
    sum = sum.replacing(with: lower, where: sum .< lower)
    sum = sum.replacing(with: upper, where: sum .> upper)
    if n == 16 {
      UnsafeMutableRawPointer(output + x).storeBytes(of: sum, as: V.self)
    } else {
      VectorMath.store(sum, output + x, count: n)
    }
    x += 16
  }
}
