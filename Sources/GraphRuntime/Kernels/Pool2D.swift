import GraphPlan

extension Kernels {
  /// Max or average pooling into a (possibly sliced) output, threads over channel planes.
  /// Same contract and bit-identical numbers as `Reference.pool2d` (GraphReference), but
  /// each window visits only its taps inside the input (the reference walks the whole
  /// window), so the cost is bounded by the input whatever the padding or kernel size.
  package static func pool2d(
    _ p: Pool2DParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    let g = p.geometry
    parallelFor(pool, p.batch * g.channels) { plane in
      let n = plane / g.channels, c = plane % g.channels
      poolPlane(
        p, input: input + plane * g.inHeight * g.inWidth,
        output: output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * g.outHeight * g.outWidth)
    }
  }

  /// Taps `k` in `0..<kernel` with `start + k * dilation` in `lo..<hi`: a range of `k`.
  @inline(__always)
  static func taps(start: Int, dilation: Int, kernel: Int, lo: Int, hi: Int) -> Range<Int> {
    let first = start >= lo ? 0 : (lo - start + dilation - 1) / dilation
    let end = start >= hi ? 0 : min(kernel, (hi - start + dilation - 1) / dilation)
    return first < end ? first..<end : 0..<0
  }

  static func poolPlane(_ p: Pool2DParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let g = p.geometry, w = g.window
    for oy in 0..<g.outHeight {
      let y0 = oy * w.strideHeight - w.padTop
      let rows = taps(start: y0, dilation: w.dilationHeight, kernel: w.kernelHeight, lo: 0, hi: g.inHeight)
      let paddedRows = taps(start: y0, dilation: w.dilationHeight, kernel: w.kernelHeight, lo: -w.padTop, hi: g.inHeight + w.padBottom)
      for ox in 0..<g.outWidth {
        let x0 = ox * w.strideWidth - w.padLeft
        let cols = taps(start: x0, dilation: w.dilationWidth, kernel: w.kernelWidth, lo: 0, hi: g.inWidth)
        let paddedCols = taps(start: x0, dilation: w.dilationWidth, kernel: w.kernelWidth, lo: -w.padLeft, hi: g.inWidth + w.padRight)
        var maxValue = -Float.greatestFiniteMagnitude
        var sum: Float = 0
        for ky in rows {
          let row = input + (y0 + ky * w.dilationHeight) * g.inWidth + x0
          for kx in cols {
            let x = row[kx * w.dilationWidth]
            sum += x
            if x > maxValue || x.isNaN { maxValue = x }
          }
        }
        let value: Float
        switch p.kind {
        case .max:
          value = maxValue
        case .average:
          let divisor = p.countIncludePad ? paddedRows.count * paddedCols.count : rows.count * cols.count
          value = divisor == 0 ? 0 : sum / Float(divisor)
        }
        output[oy * g.outWidth + ox] = value
      }
    }
  }

  /// Global average or max pool, `[n, c, h, w]` → `[n, c, 1, 1]`, threads over planes.
  package static func globalPool(
    _ kind: PoolKind, batch: Int, channels: Int, spatial: Int,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    parallelFor(pool, batch * channels) { plane in
      output[plane] = kind == .max ? planeMax(input + plane * spatial, spatial) : planeMean(input + plane * spatial, spatial)
    }
  }

  /// The largest of `count` values, NaN if any is NaN (as ONNX Runtime).
  private static func planeMax(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var best = -Float.infinity
    var i = 0
    while i < count {
      let v = x[i]
      if v.isNaN { return v }
      if v > best { best = v }
      i += 1
    }
    return best
  }

  /// The mean of `count` values, summed in four interleaved lanes (vectorizes; a fixed order per count).
  private static func planeMean(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var i = 0
    while i + 4 <= count {
      lanes.0 += x[i]
      lanes.1 += x[i + 1]
      lanes.2 += x[i + 2]
      lanes.3 += x[i + 3]
      i += 4
    }
    var sum = (lanes.0 + lanes.1) + (lanes.2 + lanes.3)
    while i < count {
      sum += x[i]
      i += 1
    }
    return sum / Float(count)
  }
}
