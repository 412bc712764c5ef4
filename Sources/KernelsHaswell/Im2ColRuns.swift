// The im2col packing of one run of a GEMM panel, compiled once per instruction set like
// MicroKernels.swift (KernelsGeneric and KernelsSkylakeX link this file): built for GraphRuntime
// itself, its 16-lane copies and stride-2 shuffles were SSE instructions, and packing took a
// fifth of a stride-2 conv's time.

/// A window as plain numbers (pooling and convolution): the same tuple type in every kernel
/// module, so one function type in GraphRuntime's kernel table covers all of them.
public typealias WindowShape = (
  kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, padTop: Int, padLeft: Int,
  dilationHeight: Int, dilationWidth: Int
)

/// Lanes `0..<count` of rows `0..<depth` of `out` (row stride 16, one GEMM panel): output
/// pixels `ox ..< ox + count` of output row `oy` of a convolution over `image` (channels of
/// `inHeight x inWidth`, one after the other), K rows `p0 ..< p0 + depth` of its im2col matrix,
/// row `(c, ky, kx)`; taps in the padding read as zeros. Each tap row goes by vectors where
/// the run lies inside the input row (16 lanes at stride 1; loads and shuffles at strides 2
/// and 4; overlapping 8- and 4-lane copies for shorter runs), clipped only where it reaches
/// into the padding.
public func im2colRun(
  image: UnsafePointer<Float>, inHeight: Int, inWidth: Int, window w: WindowShape, oy: Int, ox: Int, count: Int,
  p0: Int, depth: Int, into out: UnsafeMutablePointer<Float>
) {
  let sw = w.strideWidth
  let ixBase = ox &* sw &- w.padLeft
  // Whether every tap of the run lies inside the row horizontally (no per-tap clipping).
  let inside = ixBase >= 0 && ixBase + (w.kernelWidth - 1) * w.dilationWidth + (count - 1) * sw < inWidth
  func run<C: RunCopy>(_: C.Type) {
    im2colRun(C.self, image: image, inHeight: inHeight, inWidth: inWidth, window: w, oy: oy, ixBase: ixBase, count: count, p0: p0, depth: depth, into: out)
  }
  switch (inside, sw, count) {
  case (true, 1, 16): run(WholeRun.self)
  case (true, 2, 16): run(WholeDecimatedRun<Evens>.self)
  case (true, 2, 4...): run(OverlappingDecimatedRun<Evens>.self)
  case (true, 4, 16): run(WholeDecimatedRun<Quarters>.self)
  case (true, 4, 4...): run(OverlappingDecimatedRun<Quarters>.self)
  case (true, 1, 4...): run(OverlappingRun.self)
  case (true, _, _): run(StridedRun.self)
  default: run(ClippedRun.self)
  }
}

@inline(__always)
private func im2colRun<C: RunCopy>(
  _: C.Type, image: UnsafePointer<Float>, inHeight: Int, inWidth inW: Int, window w: WindowShape, oy: Int, ixBase: Int,
  count: Int, p0: Int, depth: Int, into out: UnsafeMutablePointer<Float>
) {
  let inPlane = inHeight * inW
  let iyBase = oy * w.strideHeight - w.padTop
  let taps = w.kernelHeight * w.kernelWidth
  var c = p0 / taps, ky = (p0 % taps) / w.kernelWidth, kx = (p0 % taps) % w.kernelWidth
  // The tap row of (c, ky), nil in the padding; its kx-th tap is kx * dilation further.
  func tapRow() -> UnsafePointer<Float>? {
    let iy = iyBase + ky * w.dilationHeight
    return iy < 0 || iy >= inHeight ? nil : image + c * inPlane + iy * inW + ixBase
  }
  var row = tapRow()
  for p in 0..<depth {
    let dst = out + p * 16
    if let row {
      C.copy(row + kx * w.dilationWidth, ix0: ixBase + kx * w.dilationWidth, stride: w.strideWidth, count: count, inWidth: inW, to: dst)
    } else {
      Im2ColVectors.zero(dst, count: count)
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

/// `panels` GEMM panels of B from `panels * 16` contiguous columns (a 1x1 conv's input
/// planes): panel `q`'s row `p` is the 16 floats at `src + p * rowStride + q * 16`, and panel
/// `q` starts `depth * 16` floats after panel `q - 1` in `out`. Row by row, each row read from
/// start to end: panel by panel touched one line of every row in turn, a line from each of
/// `depth` rows, too many streams for the hardware prefetcher where the input was no longer in
/// L2 (a C model of GoogLeNet's 512 -> 160 conv at 14x14: the whole GEMM 6-9% faster this way).
/// Built for GraphRuntime, each row was four SSE loads and stores: 3% of ResNet-50.
public func packRows16(
  _ src: UnsafePointer<Float>, rowStride: Int, depth: Int, panels: Int, into out: UnsafeMutablePointer<Float>
) {
  let panelFloats = depth &* 16
  for p in 0..<depth {
    let row = src + p &* rowStride, dst = UnsafeMutableRawPointer(out + p &* 16)
    for q in 0..<panels {
      dst.storeBytes(of: Im2ColVectors.load16(row + q &* 16), toByteOffset: q &* panelFloats &* 4, as: SIMD16<Float>.self)
    }
  }
}

/// `ceil(a / b)` for positive `b` and any sign of `a`.
@inline(__always)
public func ceilDivide(_ a: Int, _ b: Int) -> Int {
  a >= 0 ? (a + b - 1) / b : -((-a) / b)
}

/// The lanes `first ..< end` of `0 ..< count` with `0 <= ix0 + t * stride < inWidth` (no
/// division at strides 1 and 2).
@inline(__always)
public func im2colInsideLanes(ix0: Int, stride: Int, count: Int, inWidth: Int) -> (first: Int, end: Int) {
  @inline(__always) func ceilDiv(_ a: Int) -> Int {
    switch stride {
    case 1: a
    case 2: (a + 1) >> 1  // an arithmetic shift floors, so this is ceil(a / 2) for either sign
    default: ceilDivide(a, stride)
    }
  }
  let first = min(count, max(0, ceilDiv(-ix0)))
  let end = max(first, min(count, ceilDiv(inWidth - ix0)))
  return (first, end)
}


/// How one run of a panel copies a tap row: `dst[t] = src[t * stride]` for `t < count`, where
/// `src` is input column `ix0` of a row `inWidth` wide (columns outside it read as zero).
private protocol RunCopy {
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>)
}

/// 16 columns inside the row at stride 1: one vector.
private enum WholeRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    UnsafeMutableRawPointer(dst).storeBytes(of: Im2ColVectors.load16(src), as: SIMD16<Float>.self)
  }
}

/// 16 columns inside the row at `D.stride`: loads and shuffles.
private enum WholeDecimatedRun<D: Decimation>: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    UnsafeMutableRawPointer(dst).storeBytes(of: D.take16(src), as: SIMD16<Float>.self)
  }
}

/// 4 to 16 columns inside the row at stride 1: two overlapping vectors.
private enum OverlappingRun: RunCopy {
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

/// 4 to 16 columns inside the row at `D.stride`: two overlapping vectors of every `D.stride`-th
/// tap (a row 28 outputs wide packs as runs of 16, 12 and 4: a quarter of a stride-2 conv's time
/// went to copying the short runs one tap at a time).
private enum OverlappingDecimatedRun<D: Decimation>: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    if count >= 8 {
      UnsafeMutableRawPointer(dst).storeBytes(of: D.take8(src), as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(dst + count - 8).storeBytes(of: D.take8(src + D.stride * (count - 8)), as: SIMD8<Float>.self)
    } else {
      UnsafeMutableRawPointer(dst).storeBytes(of: D.take4(src), as: SIMD4<Float>.self)
      UnsafeMutableRawPointer(dst + count - 4).storeBytes(of: D.take4(src + D.stride * (count - 4)), as: SIMD4<Float>.self)
    }
  }
}

/// Any columns inside the row: one at a time.
private enum StridedRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    for t in 0..<count { dst[t] = src[t * stride] }
  }
}

/// Columns that may reach into the padding: zeros there, the rest as a run inside the row.
private enum ClippedRun: RunCopy {
  @inline(__always)
  static func copy(
    _ src: UnsafePointer<Float>, ix0: Int, stride: Int, count: Int, inWidth: Int, to dst: UnsafeMutablePointer<Float>
  ) {
    let (first, end) = im2colInsideLanes(ix0: ix0, stride: stride, count: count, inWidth: inWidth)
    for t in 0..<first { dst[t] = 0 }
    let inside = end - first
    if stride == 1 && inside >= 4 {
      OverlappingRun.copy(src + first, ix0: ix0 + first, stride: 1, count: inside, inWidth: inWidth, to: dst + first)
    } else if stride == 2 && inside >= 4 {
      OverlappingDecimatedRun<Evens>.copy(src + first * 2, ix0: ix0 + first * 2, stride: 2, count: inside, inWidth: inWidth, to: dst + first)
    } else if stride == 4 && inside >= 4 {
      OverlappingDecimatedRun<Quarters>.copy(src + first * 4, ix0: ix0 + first * 4, stride: 4, count: inside, inWidth: inWidth, to: dst + first)
    } else {
      StridedRun.copy(src + first * stride, ix0: ix0 + first * stride, stride: stride, count: inside, inWidth: inWidth, to: dst + first)
    }
    for t in end..<count { dst[t] = 0 }
  }
}

private enum Im2ColVectors {
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
}

/// Every `stride`-th float from `p` by whole-vector loads and shuffles, reading nothing past the
/// last one taken (a run ends where its row may end).
private protocol Decimation {
  static var stride: Int { get }
  /// `p[0], p[stride], ..., p[15 * stride]`.
  static func take16(_ p: UnsafePointer<Float>) -> SIMD16<Float>
  /// `p[0], p[stride], ..., p[7 * stride]`.
  static func take8(_ p: UnsafePointer<Float>) -> SIMD8<Float>
  /// `p[0], p[stride], p[2 * stride], p[3 * stride]`.
  static func take4(_ p: UnsafePointer<Float>) -> SIMD4<Float>
}

/// Stride 2 (ResNet's and GoogLeNet's 7x7 stems, stride-2 3x3 convs).
private enum Evens: Decimation {
  static var stride: Int { 2 }

  /// `p[0], p[2], ..., p[30]`, reading nothing past `p[30]`.
  @inline(__always)
  static func take16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    let a = Im2ColVectors.load16(p), b = Im2ColVectors.load16(p + 15)
    return SIMD16(
      a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14], b[1], b[3], b[5], b[7], b[9], b[11], b[13], b[15])
  }

  /// `p[0], p[2], ..., p[14]`, reading nothing past `p[14]`.
  @inline(__always)
  static func take8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    let b = UnsafeRawPointer(p + 7).loadUnaligned(as: SIMD8<Float>.self)
    return SIMD8(a[0], a[2], a[4], a[6], b[1], b[3], b[5], b[7])
  }

  /// `p[0], p[2], p[4], p[6]`, reading nothing past `p[6]`.
  @inline(__always)
  static func take4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    let b = UnsafeRawPointer(p + 3).loadUnaligned(as: SIMD4<Float>.self)
    return SIMD4(a[0], a[2], b[1], b[3])
  }
}

/// Stride 4 (AlexNet's 11x11 stem, 4x4 patchify stems): one element taken a 4-float group.
/// Copied one at a time, the taps were a fifth of AlexNet's stem.
private enum Quarters: Decimation {
  static var stride: Int { 4 }

  /// `p[0], p[4], ..., p[60]`, reading nothing past `p[60]`.
  @inline(__always)
  static func take16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    let a = Im2ColVectors.load16(p), b = Im2ColVectors.load16(p + 16)
    let c = Im2ColVectors.load16(p + 32), d = Im2ColVectors.load16(p + 45)
    return SIMD16(a[0], a[4], a[8], a[12], b[0], b[4], b[8], b[12], c[0], c[4], c[8], c[12], d[3], d[7], d[11], d[15])
  }

  /// `p[0], p[4], ..., p[28]`, reading nothing past `p[28]`.
  @inline(__always)
  static func take8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    let a = Im2ColVectors.load16(p), b = Im2ColVectors.load16(p + 13)
    return SIMD8(a[0], a[4], a[8], a[12], b[3], b[7], b[11], b[15])
  }

  /// `p[0], p[4], p[8], p[12]`, reading nothing past `p[12]`.
  @inline(__always)
  static func take4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self), b = UnsafeRawPointer(p + 5).loadUnaligned(as: SIMD8<Float>.self)
    return SIMD4(a[0], a[4], b[3], b[7])
  }
}
