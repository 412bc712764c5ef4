import GraphPlan

/// Unfolds one group of one image into the `[cg * kh * kw, oh * ow]` column matrix whose
/// product with the group's `[mg, cg * kh * kw]` weights is the convolution. Taps that
/// fall in the padding become zeros.
enum Im2Col {
  /// Writes the column matrix for channels `firstChannel ..< firstChannel + channels` of
  /// `images` consecutive images from `image` (each `[inChannels, inH, inW]`) and output rows
  /// `outputRows` into `columns` (`[channels * kh * kw, images * outputRows.count * ow]`,
  /// the images side by side). Channels of images are split across the pool.
  static func unfold(
    _ g: Conv2DGeometry, image: UnsafePointer<Float>, images: Int = 1, firstChannel: Int, channels: Int, outputRows: Range<Int>,
    columns: UnsafeMutablePointer<Float>, pool: ThreadPool?
  ) {
    let oh = outputRows.count, ow = g.outWidth, w = g.window
    let taps = w.kernelHeight * w.kernelWidth
    let imageColumns = oh * ow, rowLength = images * imageColumns
    parallelFor(pool, images * channels) { task in
      let n = task / channels, ci = task % channels
      let plane = image + (n * g.inChannels + firstChannel + ci) * g.inHeight * g.inWidth
      for tap in 0..<taps {
        let ky = tap / w.kernelWidth, kx = tap % w.kernelWidth
        let row = columns + (ci * taps + tap) * rowLength + n * imageColumns
        // Output columns whose input x is in bounds form one contiguous range per row.
        let xOffset = kx * w.dilationWidth - w.padLeft
        let oxBegin = min(ow, max(0, ceilDiv(-xOffset, w.strideWidth)))
        let oxEnd = max(oxBegin, min(ow, ceilDiv(g.inWidth - xOffset, w.strideWidth)))
        for (r, oy) in outputRows.enumerated() {
          let iy = oy * w.strideHeight - w.padTop + ky * w.dilationHeight
          let dst = row + r * ow
          if iy < 0 || iy >= g.inHeight {
            dst.update(repeating: 0, count: ow)
            continue
          }
          let src = plane + iy * g.inWidth + xOffset
          for ox in 0..<oxBegin { dst[ox] = 0 }
          if w.strideWidth == 1 {
            (dst + oxBegin).update(from: src + oxBegin, count: oxEnd - oxBegin)
          } else {
            for ox in oxBegin..<oxEnd { dst[ox] = src[ox * w.strideWidth] }
          }
          for ox in oxEnd..<ow { dst[ox] = 0 }
        }
      }
    }
  }

  /// `ceil(a / b)` for positive `b` and any sign of `a`.
  @inline(__always)
  static func ceilDiv(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
  }
}
