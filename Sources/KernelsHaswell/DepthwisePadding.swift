// The zero-padded input plane of a depthwise convolution, compiled once per instruction set
// like DepthwisePlanes.swift (KernelsGeneric and KernelsSkylakeX link this file): its copies
// and stride-2 gathers are vector work that GraphRuntime's baseline build did with SSE2.

/// How a depthwise convolution's input plane is padded (see ``PaddedRows``); a tuple so that
/// every instruction set's kernels take the same type. GraphRuntime works it out from the
/// convolution's geometry.
public typealias DepthwisePadding = (
  inHeight: Int, inWidth: Int, padTop: Int, padLeft: Int, stride: Int, dilation: Int, phaseLength: Int, planeRows: Int
)

/// An input plane of a depthwise convolution as a zero-padded plane whose rows are split into
/// stride phases: phase `q` of a padded row holds its padded columns `q`, `q + stride`, ...,
/// which turns every tap of a strided or dilated kernel into a contiguous load. Padded row `r`
/// holds input row `r - padTop`; rows a tap reaches outside the image are zeros.
public struct PaddedRows {
  public let inHeight: Int, inWidth: Int, padTop: Int, padLeft: Int, stride: Int, dilation: Int
  /// Floats per phase: each phase reaches one vector past the last output column's farthest tap.
  public let phaseLength: Int
  /// Padded rows, down to the last row a tap reaches.
  public let planeRows: Int

  public init(_ p: DepthwisePadding) {
    (inHeight, inWidth, padTop, padLeft, stride, dilation) = (p.inHeight, p.inWidth, p.padTop, p.padLeft, p.stride, p.dilation)
    (phaseLength, planeRows) = (p.phaseLength, p.planeRows)
  }

  /// Floats per padded row (`stride` phases).
  public var rowLength: Int { stride * phaseLength }

  /// Floats in a padded plane, which is all `pad(plane:into:)` writes.
  public var planeFloats: Int { planeRows * rowLength }

  /// Where tap `kx` of output column 0 sits in a padded row (column `j`'s is `j` further).
  public func offset(ofTap kx: Int) -> Int { (kx * dilation) % stride * phaseLength + (kx * dilation) / stride }

  /// Phase q's indices i with 0 <= q + stride * i - padLeft < inWidth: the columns a row copy
  /// takes from the input; the others are zeros.
  @inline(__always)
  func interior(_ q: Int) -> Range<Int> {
    let first = min(max(0, ceilDivide(padLeft - q, stride)), phaseLength)
    return first..<min(max(first, ceilDivide(inWidth + padLeft - q, stride)), phaseLength)
  }

  /// Input plane `src` into the padded plane at `plane` (every float of it written): zeros in
  /// one call, then each row's columns inside the image, by vectors (a call or two per row cost
  /// more than a 7- or 14-column row's convolution). At stride 2 a phase takes every other
  /// column straight from the input row, the even lanes of 16 floats at a time; at larger
  /// strides one by one. (Gathering from a copy of the row just stored stalled on every
  /// load: a load over two recent stores waits for both to reach the cache.)
  @inline(__always)
  func pad(plane src: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) {
    plane.update(repeating: 0, count: planeFloats)
    let first = min(max(0, padTop), planeRows)
    let image = first..<max(first, min(planeRows, padTop + inHeight))
    if stride == 1 {
      let columns = interior(0)
      for r in image {
        copyFloats(
          src + (r - padTop) * inWidth + (columns.lowerBound - padLeft), to: plane + r * rowLength + columns.lowerBound,
          count: columns.count)
      }
      return
    }
    for q in 0..<stride {
      // Phase index i is input column start + stride * i; its vectors end where a 16-float
      // load would leave the input row or an 8-float store the phase's columns.
      let columns = interior(q), start = q - padLeft
      var vectorEnd = columns.lowerBound
      if stride == 2 {
        let last = min(columns.upperBound - 8, (inWidth - 16 - start) >> 1)
        if last >= columns.lowerBound { vectorEnd = columns.lowerBound + ((last - columns.lowerBound) / 8 + 1) * 8 }
      }
      for r in image {
        let input = src + (r - padTop) * inWidth + start, phase = plane + r * rowLength + q * phaseLength
        var i = columns.lowerBound
        while i < vectorEnd {
          let v = UnsafeRawPointer(input + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
          UnsafeMutableRawPointer(phase + i).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
          i += 8
        }
        while i < columns.upperBound {
          phase[i] = input[stride * i]
          i += 1
        }
      }
    }
  }

  /// `count` floats by 8-float vectors, the last one overlapping the one before (no `memcpy`
  /// call); shorter runs by two overlapping 4-float vectors, or one by one.
  @inline(__always)
  private func copyFloats(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    typealias V = SIMD8<Float>
    typealias V4 = SIMD4<Float>
    guard count >= 8 else {
      if count >= 4 {
        let head = UnsafeRawPointer(src).loadUnaligned(as: V4.self)
        let tail = UnsafeRawPointer(src + count - 4).loadUnaligned(as: V4.self)
        UnsafeMutableRawPointer(dst).storeBytes(of: head, as: V4.self)
        UnsafeMutableRawPointer(dst + count - 4).storeBytes(of: tail, as: V4.self)
      } else {
        if count > 0 { dst[0] = src[0] }
        if count > 1 { dst[1] = src[1] }
        if count > 2 { dst[2] = src[2] }
      }
      return
    }
    var i = 0
    while true {
      let start = min(i, count - 8)
      UnsafeMutableRawPointer(dst + start).storeBytes(of: UnsafeRawPointer(src + start).loadUnaligned(as: V.self), as: V.self)
      if start == count - 8 { return }
      i += 8
    }
  }
}
