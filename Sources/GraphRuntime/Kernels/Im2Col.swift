import GraphPlan

/// The im2col matrix of one group of a convolution, read in place: `[cg * kh * kw, columns]`,
/// row `(c, ky, kx)`, column `j` = output pixel `j % outPlane` of image `j / outPlane`; taps
/// that fall in the padding read as zeros. Its product with the group's `[mg, cg * kh * kw]`
/// weights is the convolution.
///
/// The GEMM packs its register-tile panels of B straight from the images through
/// ``packPanel(p0:depth:firstColumn:width:into:)``: no column matrix is ever written out,
/// so there is no workspace to size (VGG's first layer would unfold 110 MiB) and the
/// packed panels are made while the taps are still in cache.
struct UnfoldedColumns {
  let geometry: Conv2DGeometry
  /// Channel `firstChannel` of the first image.
  let base: UnsafePointer<Float>
  /// Floats from one image to the next (`inChannels * inH * inW`).
  let imageStride: Int

  init(_ g: Conv2DGeometry, image: UnsafePointer<Float>, firstChannel: Int) {
    geometry = g
    base = image + firstChannel * g.inHeight * g.inWidth
    imageStride = g.inChannels * g.inHeight * g.inWidth
  }

  /// `out[p][l] = B[p0 + p, firstColumn + l]` for `p < depth`, `l < 16`; zero for `l >= width`.
  ///
  /// The panel's columns go in runs that share an image and an output row; a run reads each
  /// tap row at the conv's horizontal stride, by vectors where it can (``RunCopy``).
  func packPanel(p0: Int, depth: Int, firstColumn j0: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
    let g = geometry, ow = g.outWidth, outPlane = g.outHeight * ow
    if width < SGEMM.nr {
      // Whole zero rows (one vector store each, not a memset call per row); the runs then
      // overwrite lanes 0..<width.
      for p in 0..<depth { UnsafeMutableRawPointer(out + p * SGEMM.nr).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self) }
    }
    var lane = 0
    while lane < width {
      let j = j0 + lane
      let n = j / outPlane, pixel = j % outPlane
      let oy = pixel / ow, ox = pixel % ow
      let count = min(width - lane, ow - ox)
      packRun(
        image: base + n * imageStride, oy: oy, ox: ox, count: count, p0: p0, depth: depth, into: out + lane)
      lane += count
    }
  }

  /// Lanes `0..<count` of rows `0..<depth` of `out` (row stride 16): output pixels `ox ..< ox + count`
  /// of output row `oy` of `image`, K rows `p0 ..< p0 + depth`. Picks the run's copy once.
  @inline(__always)
  private func packRun(
    image: UnsafePointer<Float>, oy: Int, ox: Int, count: Int, p0: Int, depth: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let w = geometry.window, sw = w.strideWidth
    let ixBase = ox * sw - w.padLeft
    // Whether every tap of the run lies inside the row horizontally (no per-tap clipping).
    let inside = ixBase >= 0 && ixBase + (w.kernelWidth - 1) * w.dilationWidth + (count - 1) * sw < geometry.inWidth
    func run<C: RunCopy>(_: C.Type) {
      packRun(C.self, image: image, oy: oy, ixBase: ixBase, count: count, p0: p0, depth: depth, into: out)
    }
    switch (inside, sw, count) {
    case (true, 1, 16): run(WholeRun.self)
    case (true, 2, 16): run(WholeEvenRun.self)
    case (true, 2, 4...): run(OverlappingEvenRun.self)
    case (true, 1, 4...): run(OverlappingRun.self)
    case (true, _, _): run(StridedRun.self)
    default: run(ClippedRun.self)
    }
  }

  @inline(__always)
  private func packRun<C: RunCopy>(
    _: C.Type, image: UnsafePointer<Float>, oy: Int, ixBase: Int, count: Int, p0: Int, depth: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    let g = geometry, w = g.window, inW = g.inWidth, inPlane = g.inHeight * inW
    let iyBase = oy * w.strideHeight - w.padTop
    let taps = w.kernelHeight * w.kernelWidth
    var c = p0 / taps, ky = (p0 % taps) / w.kernelWidth, kx = (p0 % taps) % w.kernelWidth
    // The tap row of (c, ky), nil in the padding; its kx-th tap is kx * dilation further.
    func tapRow() -> UnsafePointer<Float>? {
      let iy = iyBase + ky * w.dilationHeight
      return iy < 0 || iy >= g.inHeight ? nil : image + c * inPlane + iy * inW + ixBase
    }
    var row = tapRow()
    for p in 0..<depth {
      let dst = out + p * SGEMM.nr
      if let row {
        C.copy(row + kx * w.dilationWidth, ix0: ixBase + kx * w.dilationWidth, stride: w.strideWidth, count: count, inWidth: inW, to: dst)
      } else {
        Im2Col.zero(dst, count: count)
      }
      kx += 1
      if kx == w.kernelWidth {
        kx = 0
        ky += 1
        if ky == w.kernelHeight {
          ky = 0
          c += 1
        }
        row = tapRow()
      }
    }
  }
}

/// How one run of a panel copies a tap row: `dst[t] = src[t * stride]` for `t < count`, where
/// `src` is input column `ix0` of a row `inWidth` wide (columns outside it read as zero).
protocol RunCopy {
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>)
}

/// 16 columns inside the row at stride 1: one vector.
enum WholeRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    UnsafeMutableRawPointer(dst).storeBytes(of: Im2Col.load16(src), as: SIMD16<Float>.self)
  }
}

/// 16 columns inside the row at stride 2: two loads and a shuffle.
enum WholeEvenRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    UnsafeMutableRawPointer(dst).storeBytes(of: Im2Col.evens16(src), as: SIMD16<Float>.self)
  }
}

/// 4 to 16 columns inside the row at stride 1: two overlapping vectors.
enum OverlappingRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    if count >= 8 {
      let head = UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self)
      let tail = UnsafeRawPointer(src + count - 8).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(dst).storeBytes(of: head, as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(dst + count - 8).storeBytes(of: tail, as: SIMD8<Float>.self)
    } else {
      let head = UnsafeRawPointer(src).loadUnaligned(as: SIMD4<Float>.self)
      let tail = UnsafeRawPointer(src + count - 4).loadUnaligned(as: SIMD4<Float>.self)
      UnsafeMutableRawPointer(dst).storeBytes(of: head, as: SIMD4<Float>.self)
      UnsafeMutableRawPointer(dst + count - 4).storeBytes(of: tail, as: SIMD4<Float>.self)
    }
  }
}

/// 4 to 15 columns inside the row at stride 2: two overlapping vectors of every other tap (a
/// row 28 outputs wide packs as runs of 16, 12 and 4: a quarter of a stride-2 conv's time went
/// to copying the short runs one tap at a time).
enum OverlappingEvenRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    if count >= 8 {
      UnsafeMutableRawPointer(dst).storeBytes(of: Im2Col.evens8(src), as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(dst + count - 8).storeBytes(of: Im2Col.evens8(src + 2 * (count - 8)), as: SIMD8<Float>.self)
    } else {
      UnsafeMutableRawPointer(dst).storeBytes(of: Im2Col.evens4(src), as: SIMD4<Float>.self)
      UnsafeMutableRawPointer(dst + count - 4).storeBytes(of: Im2Col.evens4(src + 2 * (count - 4)), as: SIMD4<Float>.self)
    }
  }
}

/// Any columns inside the row: one at a time.
enum StridedRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    for t in 0..<count { dst[t] = src[t * stride] }
  }
}

/// Columns that may reach into the padding: zeros there, the rest as a run inside the row.
enum ClippedRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    let (first, end) = insideLanes(ix0: ix0, stride: stride, count: count, inWidth: inWidth)
    for t in 0..<first { dst[t] = 0 }
    let inside = end - first
    if stride == 1 && inside >= 4 {
      OverlappingRun.copy(src + first, ix0: ix0 + first, stride: 1, count: inside, inWidth: inWidth, to: dst + first)
    } else if stride == 2 && inside >= 4 {
      OverlappingEvenRun.copy(src + first * 2, ix0: ix0 + first * 2, stride: 2, count: inside, inWidth: inWidth, to: dst + first)
    } else {
      StridedRun.copy(src + first * stride, ix0: ix0 + first * stride, stride: stride, count: inside, inWidth: inWidth, to: dst + first)
    }
    for t in end..<count { dst[t] = 0 }
  }

  /// The lanes `first ..< end` of `0 ..< count` with `0 <= ix0 + t * stride < inWidth` (no division at stride 1).
  @inline(__always)
  static func insideLanes(ix0: Int, stride: Int, count: Int, inWidth: Int) -> (first: Int, end: Int) {
    let first = min(count, max(0, stride == 1 ? -ix0 : Im2Col.ceilDiv(-ix0, stride)))
    let end = max(first, min(count, stride == 1 ? inWidth - ix0 : Im2Col.ceilDiv(inWidth - ix0, stride)))
    return (first, end)
  }
}

enum Im2Col {
  /// `ceil(a / b)` for positive `b` and any sign of `a`.
  @inline(__always)
  static func ceilDiv(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
  }

  /// `p[0..<16]`.
  @inline(__always)
  static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
  }

  /// Zeroes `count` (at most 16) floats: a run in the padding. A memset call per run was 4% of GoogLeNet.
  @inline(__always)
  static func zero(_ p: UnsafeMutablePointer<Float>, count: Int) {
    if count == 16 {
      UnsafeMutableRawPointer(p).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
    } else {
      for t in 0..<count { p[t] = 0 }
    }
  }

  /// `p[0], p[2], ..., p[14]`, reading nothing past `p[14]`.
  @inline(__always)
  static func evens8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    let b = UnsafeRawPointer(p + 7).loadUnaligned(as: SIMD8<Float>.self)
    return SIMD8(a[0], a[2], a[4], a[6], b[1], b[3], b[5], b[7])
  }

  /// `p[0], p[2], p[4], p[6]`, reading nothing past `p[6]`.
  @inline(__always)
  static func evens4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    let b = UnsafeRawPointer(p + 3).loadUnaligned(as: SIMD4<Float>.self)
    return SIMD4(a[0], a[2], b[1], b[3])
  }

  /// `p[0], p[2], ..., p[30]`, reading nothing past `p[30]`.
  @inline(__always)
  static func evens16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    let a = load16(p), b = load16(p + 15)
    return SIMD16(
      a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14], b[1], b[3], b[5], b[7], b[9], b[11], b[13], b[15])
  }
}
