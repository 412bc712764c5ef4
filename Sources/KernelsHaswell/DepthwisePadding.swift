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

  /// Floats in a padded plane.
  public var planeFloats: Int { planeRows * rowLength }

  /// Floats `pad(plane:into:)` writes: the plane, and 8 that a row's last store of zeros may
  /// pass it by.
  public var scratchFloats: Int { planeFloats + 8 }

  /// Where tap `kx` of output column 0 sits in a padded row (column `j`'s is `j` further).
  public func offset(ofTap kx: Int) -> Int { (kx * dilation) % stride * phaseLength + (kx * dilation) / stride }

  /// Phase q's indices i with 0 <= q + stride * i - padLeft < inWidth: the columns a row copy
  /// takes from the input; the others are zeros.
  @inline(__always)
  func interior(_ q: Int) -> Range<Int> {
    let first = min(max(0, ceilDivide(padLeft - q, stride)), phaseLength)
    return first..<min(max(first, ceilDivide(inWidth + padLeft - q, stride)), phaseLength)
  }

  /// Input plane `src` into the padded plane at `plane` (every float of it written): zeros,
  /// then each row's columns inside the image, by vectors (a call or two per row cost more than
  /// a 7- or 14-column row's convolution). At stride 2 a phase takes every other
  /// column straight from the input (``gatherEvenColumns``); at larger strides one by one.
  @inline(__always)
  func pad(plane src: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) {
    let first = min(max(0, padTop), planeRows)
    let image = first..<max(first, min(planeRows, padTop + inHeight))
    switch stride {
    case 1:
      // Zeros only where the copy does not write: the rows outside the image, and each image
      // row's columns before and after its copy (a memset of the whole plane took a third as
      // long as a 3x3 conv's taps over it).
      plane.update(repeating: 0, count: image.lowerBound * rowLength)
      (plane + image.upperBound * rowLength).update(repeating: 0, count: (planeRows - image.upperBound) * rowLength)
      let columns = interior(0)
      for r in image {
        let row = plane + r * rowLength
        zeroFloats(row, count: columns.lowerBound)
        copyFloats(src + (r - padTop) * inWidth + (columns.lowerBound - padLeft), to: row + columns.lowerBound, count: columns.count)
        zeroFloats(row + columns.upperBound, count: rowLength - columns.upperBound)
      }
    case 2:
      plane.update(repeating: 0, count: planeFloats)
      let (even, odd) = (interior(0), interior(1))
      for r in image {
        // Phase q's index i is input column q + 2i - padLeft; floats from a row's column 0 to the plane's end.
        let input = src + (r - padTop) * inWidth - padLeft, row = plane + r * rowLength
        let room = (padTop + inHeight - r) * inWidth + padLeft
        gatherEvenColumns(input, room: room, columns: even, into: row)
        gatherEvenColumns(input + 1, room: room - 1, columns: odd, into: row + phaseLength)
      }
    default:
      plane.update(repeating: 0, count: planeFloats)
      for q in 0..<stride {
        let columns = interior(q)
        for r in image {
          let input = src + (r - padTop) * inWidth + q - padLeft, phase = plane + r * rowLength + q * phaseLength
          for i in columns { phase[i] = input[stride * i] }
        }
      }
    }
  }

  /// `phase[i] = source[2 * i]` for `i` in `columns`, 8 at a time by the even lanes of 16-float
  /// loads while they stay within the `room` floats readable at `source` (past the row, into
  /// the rows after it); the lanes that pass `columns` are then zeroed again, by a store of 8
  /// zeros that may reach the next phase or row (written after this one) or the plane's spare
  /// floats. (Gathering from a copy of the row just stored stalled on every load: a load over
  /// two recent stores waits for both to reach the cache; scalar copies of a 14-wide row's
  /// phases cost more than its convolution.)
  @inline(__always)
  private func gatherEvenColumns(
    _ source: UnsafePointer<Float>, room: Int, columns: Range<Int>, into phase: UnsafeMutablePointer<Float>
  ) {
    var i = columns.lowerBound
    while i < columns.upperBound && 2 * i + 16 <= room {
      let v = UnsafeRawPointer(source + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
      UnsafeMutableRawPointer(phase + i).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
      i += 8
    }
    if i > columns.upperBound { UnsafeMutableRawPointer(phase + columns.upperBound).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self) }
    while i < columns.upperBound {
      phase[i] = source[2 * i]
      i += 1
    }
  }

  /// `count` zeros by 8-float vectors, the last one overlapping the one before; fewer than 8
  /// as one vector that writes past them, onto floats written after it (the copy that follows
  /// a row's left padding, the next row) or the plane's spare floats.
  @inline(__always)
  private func zeroFloats(_ dst: UnsafeMutablePointer<Float>, count: Int) {
    guard count > 0 else { return }
    var i = 0
    while true {
      let start = count < 8 ? 0 : min(i, count - 8)
      UnsafeMutableRawPointer(dst + start).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self)
      if start + 8 >= count { return }
      i += 8
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
