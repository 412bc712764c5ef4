import GraphPlan

extension Kernels {
  /// Depthwise convolution (one input and one output channel per group), a row of outputs at a
  /// time into a scratch row: at stride 1 and 2, the columns whose taps all lie inside the image
  /// (worked out once per conv) go 8 at a time, every tap a vector multiply-add on registers;
  /// the border columns (and every column at other strides) go one by one with the kernel
  /// window clipped. Bias, residual and activation are then applied 16 outputs at a time.
  ///
  /// Every output sums its taps in the same order (ky, then kx, from 0) on either path, so the
  /// bits do not depend on which path a column took; threads take whole planes.
  static func depthwiseConv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue, output: UnsafeMutablePointer<Float>, pool: ThreadPool?
  ) {
    typealias V = SIMD8<Float>
    let g = p.geometry, window = g.window
    let oh = g.outHeight, ow = g.outWidth, inWidth = g.inWidth
    let (kh, kw, dx, dy, padLeft) = (window.kernelHeight, window.kernelWidth, window.dilationWidth, window.dilationHeight, window.padLeft)
    // Columns whose whole window is inside the row: s ox - padLeft >= 0 and s ox - padLeft + (kw - 1) dx < inWidth;
    // at stride 2 a vector reads 16 floats and keeps the even ones, so one more must be inside.
    let sx = window.strideWidth, span = (kw - 1) * dx
    var (first, end) = (0, 0)
    switch sx {
    case 1: (first, end) = (padLeft, inWidth - span + padLeft)
    case 2:
      let upper = inWidth - 2 - span + padLeft
      (first, end) = ((padLeft + 1) / 2, upper < 0 ? 0 : upper / 2 + 1)
    default: break
    }
    first = min(max(first, 0), ow)
    let interior = first..<max(first, min(end, ow))
    let vectorEnd = interior.lowerBound + interior.count / 8 * 8
    parallelFor(pool, p.batch * g.outChannels) { plane in
      let n = plane / g.outChannels, c = plane % g.outChannels
      let src = input + plane * g.inHeight * inWidth
      let w = weights + c * kh * kw
      let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * oh * ow
      let residual = epilogue.residual.map { $0 + plane * oh * ow }
      let bias = epilogue.bias.map { $0[c] } ?? 0
      // The row of sums apart from the output, which may be the residual itself.
      withUnsafeTemporaryAllocation(of: Float.self, capacity: ow) { buffer in
        let acc = buffer.baseAddress!
        for oy in 0..<oh {
          let yBase = oy * window.strideHeight - window.padTop
          let kyBegin = tapRangeBegin(base: yBase, dilation: dy)
          let kyEnd = max(kyBegin, tapRangeEnd(base: yBase, dilation: dy, extent: g.inHeight, kernel: kh))
          var ox = interior.lowerBound
          while ox < vectorEnd {
            var sum = V()
            for ky in kyBegin..<kyEnd {
              let row = UnsafeRawPointer(src + (yBase + ky * dy) * inWidth + sx * ox - padLeft)
              if sx == 1 {
                for kx in 0..<kw { sum += row.loadUnaligned(fromByteOffset: kx * dx * 4, as: V.self) * w[ky * kw + kx] }
              } else {
                for kx in 0..<kw { sum += row.loadUnaligned(fromByteOffset: kx * dx * 4, as: SIMD16<Float>.self).evenHalf * w[ky * kw + kx] }
              }
            }
            UnsafeMutableRawPointer(acc + ox).storeBytes(of: sum, as: V.self)
            ox += 8
          }
          for ox in 0..<ow where !(interior.lowerBound..<vectorEnd).contains(ox) {
            let xBase = ox * window.strideWidth - padLeft
            let kxBegin = tapRangeBegin(base: xBase, dilation: dx)
            let kxEnd = tapRangeEnd(base: xBase, dilation: dx, extent: inWidth, kernel: kw)
            var sum: Float = 0
            for ky in kyBegin..<kyEnd {
              let row = src + (yBase + ky * dy) * inWidth + xBase
              var kx = kxBegin
              while kx < kxEnd {
                sum += row[kx * dx] * w[ky * kw + kx]
                kx += 1
              }
            }
            acc[ox] = sum
          }
          store(acc, count: ow, bias: bias, residual: residual.map { $0 + oy * ow }, activation: epilogue.activation, to: dst + oy * ow)
        }
      }
    }
  }

  /// `dst[i] = activation(acc[i] + bias + residual[i])`, 16 at a time.
  @inline(__always)
  private static func store(
    _ acc: UnsafePointer<Float>, count: Int, bias: Float, residual: UnsafePointer<Float>?, activation: Activation,
    to dst: UnsafeMutablePointer<Float>
  ) {
    typealias V = SIMD16<Float>
    var i = 0
    while i + 16 <= count {
      var v = UnsafeRawPointer(acc + i).loadUnaligned(as: V.self) + bias
      if let residual { v += UnsafeRawPointer(residual + i).loadUnaligned(as: V.self) }
      UnsafeMutableRawPointer(dst + i).storeBytes(of: activation.apply(v), as: V.self)
      i += 16
    }
    // The tail as one zero-padded vector: a transcendental activation costs a vector either way.
    if i < count {
      var v = V()
      for lane in 0..<(count - i) { v[lane] = acc[i + lane] + bias + (residual?[i + lane] ?? 0) }
      let y = activation.apply(v)
      for lane in 0..<(count - i) { dst[i + lane] = y[lane] }
    }
  }
}
