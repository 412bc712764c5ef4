import GraphPlan

extension Reference {
  /// Max or average pooling following ONNX MaxPool/AveragePool (see ``Pool2DParameters``).
  ///
  /// - Max ignores padded positions. A window lying entirely in padding yields
  ///   `-Float.greatestFiniteMagnitude`, like ONNX Runtime.
  /// - Average with `countIncludePad == false` divides by the number of in-bounds taps;
  ///   with `true` it divides by the taps inside the *padded* input, so taps that
  ///   ceil-mode windows put beyond the end padding never count (ONNX, PyTorch).
  public static func pool2d(_ p: Pool2DParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let g = p.geometry
    for n in 0..<p.batch {
      for c in 0..<g.channels {
        let src = input + (n * g.channels + c) * g.inHeight * g.inWidth
        let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * g.outHeight * g.outWidth
        pool2dPlane(p, input: src, output: dst)
      }
    }
  }

  /// Pools one channel plane.
  private static func pool2dPlane(_ p: Pool2DParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let g = p.geometry, w = g.window
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth {
        var maxValue = -Float.greatestFiniteMagnitude
        var sum: Float = 0
        var inBounds = 0
        var inPadded = 0
        for ky in 0..<w.kernelHeight {
          let iy = oy * w.strideHeight - w.padTop + ky * w.dilationHeight
          let rowInPadded = iy >= -w.padTop && iy < g.inHeight + w.padBottom
          let rowInBounds = iy >= 0 && iy < g.inHeight
          for kx in 0..<w.kernelWidth {
            let ix = ox * w.strideWidth - w.padLeft + kx * w.dilationWidth
            if rowInPadded && ix >= -w.padLeft && ix < g.inWidth + w.padRight { inPadded += 1 }
            if !rowInBounds || ix < 0 || ix >= g.inWidth { continue }
            let x = input[iy * g.inWidth + ix]
            inBounds += 1
            sum += x
            if x > maxValue || x.isNaN { maxValue = x }
          }
        }
        let value: Float
        switch p.kind {
        case .max:
          value = maxValue
        case .average:
          let divisor = p.countIncludePad ? inPadded : inBounds
          value = divisor == 0 ? 0 : sum / Float(divisor)
        }
        output[oy * g.outWidth + ox] = value
      }
    }
  }

  /// Global average or max pool: `[n, c, h, w]` → `[n, c, 1, 1]`, one value per plane.
  public static func globalPool(
    _ kind: PoolKind, batch: Int, channels: Int, spatial: Int,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    for plane in 0..<(batch * channels) {
      let src = input + plane * spatial
      switch kind {
      case .max:
        var m = -Float.infinity
        for i in 0..<spatial where src[i] > m || src[i].isNaN { m = src[i] }
        output[plane] = m
      case .average:
        // In Double: a Float sum of finite values near the largest float overflows although their mean is finite.
        var s: Double = 0
        for i in 0..<spatial { s += Double(src[i]) }
        output[plane] = Float(s / Double(spatial))
      }
    }
  }
}
