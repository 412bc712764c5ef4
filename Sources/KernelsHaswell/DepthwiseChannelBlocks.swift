// Depthwise convolution with vectors across channels, compiled once per instruction set like
// DepthwisePlanes.swift (KernelsGeneric and KernelsSkylakeX link this file). A plane at a time
// wastes lanes on small planes (7 of 8 on 7x7, 14 of 16 on 14x14) and, on large ones, pays for
// a zero-padded, stride-split copy of every plane; onnxruntime ran EfficientNet-B0's depthwise
// convs 2-4x faster in its 16-channel blocked layout. Here 16 channels go through together:
// their input rows are transposed into zero-padded rows of 16-channel pixels, each output pixel
// is one vector of 16 channels, and the sums are transposed back into the channel planes.
// Input rows stream through a ring of padded rows and output rows go back in bands, so the
// scratch stays near the L1 cache's size whatever the plane's size; a stride is only a step
// between the pixels a tap reads.

#if GRAPHC_FMA
  import CVectorShims
#endif

/// A depthwise convolution's geometry for ``depthwiseChannelBlock``: one input and one output
/// channel per group, `kernelHeight * kernelWidth` taps per channel.
public typealias DepthwiseBlockShape = (
  inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, kernelHeight: Int, kernelWidth: Int,
  strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int, padTop: Int, padLeft: Int
)

/// Where a channel block's scratch holds what (offsets in floats, 16 floats a pixel): the ring
/// of padded input rows, the taps' weights, a band's sums and a transpose's 16 rows.
private struct BlockScratch {
  /// The padded input's rows and columns: down to the last row and column a tap reaches.
  let paddedRows: Int, paddedColumns: Int
  /// Padded rows held at once: at least the rows one output row's taps reach, and the whole
  /// padded input when it is small (then it is transposed once, in runs across its rows).
  let ringRows: Int
  /// Output rows summed before they go back into the planes: about 256 pixels.
  let bandRows: Int
  let taps: Int, sums: Int, transposeRows: Int, count: Int

  /// Floats the ring takes when its rows are narrow enough (32 KiB, an L1 cache); it always
  /// holds at least the rows one output row's taps reach.
  private static let ringBudget = 8192

  init(_ s: DepthwiseBlockShape) {
    paddedRows = (s.outHeight - 1) * s.strideHeight + (s.kernelHeight - 1) * s.dilationHeight + 1
    paddedColumns = (s.outWidth - 1) * s.strideWidth + (s.kernelWidth - 1) * s.dilationWidth + 1
    let reach = (s.kernelHeight - 1) * s.dilationHeight + 1
    ringRows = min(paddedRows, max(reach, Self.ringBudget / (paddedColumns * 16)))
    bandRows = max(1, min(s.outHeight, 256 / s.outWidth))
    taps = ringRows * paddedColumns * 16
    sums = taps + (s.kernelHeight * s.kernelWidth + 15) / 16 * 256
    // Rounded up to whole transposes, whose lanes past the band are read but never stored.
    transposeRows = sums + (bandRows * s.outWidth + 15) / 16 * 256
    count = transposeRows + 256 + 16
  }
}

/// Floats of scratch ``depthwiseChannelBlock`` takes for `shape`.
public func depthwiseChannelBlockScratch(_ shape: DepthwiseBlockShape) -> Int { BlockScratch(shape).count }

/// Output rows `outputRows` of `channels` (1...16) consecutive channels of a depthwise
/// convolution: the planes at `input` (`inputPlane` floats apart) into the planes at `output`
/// (`outHeight * outWidth` apart), with `weights` the channels' taps one after another, `bias`
/// and `residual` (planes as the output's) from the first channel on, the clamp `[lower,
/// upper]`, then the row activation `rowActivation` (one of `activationRow`'s kinds, or -1 for
/// none).
///
/// Each output sums its taps from zero in the order (ky, then kx) with one multiply-add per
/// tap, adds the bias, then the residual, and clamps, exactly as `depthwisePlane` does: the
/// two kernels give the same bits, and the activation those of `activationRow`. Four output
/// pixels at a time keep four chains of dependent multiply-adds in flight. `scratch` holds
/// ``depthwiseChannelBlockScratch(_:)`` floats.
public func depthwiseChannelBlock(
  input: UnsafePointer<Float>, inputPlane: Int, channels: Int, shape s: DepthwiseBlockShape, outputRows: Range<Int>,
  weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, lower: Float, upper: Float,
  rowActivation: Int, scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
) {
  typealias V = SIMD16<Float>
  let layout = BlockScratch(s)
  let tapVectors = scratch + layout.taps, sums = scratch + layout.sums
  let taps = s.kernelHeight * s.kernelWidth
  // Tap t's weights of the 16 channels (zeros past `channels`), 16 taps at a time transposed.
  for t0 in stride(from: 0, to: taps, by: 16) {
    let count = min(16, taps - t0)
    let m = transposed { c in
      c >= channels ? V() : count == 16 ? loadVector(weights + c * taps + t0) : V.zeroPadded(weights + c * taps + t0, count)
    }
    if count == 16 {
      UnsafeMutableRawPointer(tapVectors + t0 * 16).storeBytes(of: m, as: Rows16.self)
    } else {
      withUnsafeBytes(of: m) { UnsafeMutableRawPointer(tapVectors + t0 * 16).copyMemory(from: $0.baseAddress!, byteCount: count * 64) }
    }
  }
  // Zeros without a bias: `depthwisePlane` adds 0 then too (which turns a sum of -0 into +0).
  var biasVector = V()
  if let bias { for c in 0..<channels { biasVector[c] = bias[c] } }

  var ring = InputRing(shape: s, layout: layout, input: input, inputPlane: inputPlane, channels: channels, ring: scratch)
  let outPlane = s.outHeight * s.outWidth
  // Without a residual the clamp and the activation go to the sums, pixel by pixel, in one
  // pass a band; with one, the clamp follows the residual as the sums go back into the planes.
  let clampSums = residual == nil
  // The ring slot of output row oy's first tap row, stepped with oy (a division a row cost as
  // much as a tenth of a 7-wide row's taps).
  var firstSlot = outputRows.lowerBound * s.strideHeight % layout.ringRows
  for band in stride(from: outputRows.lowerBound, to: outputRows.upperBound, by: layout.bandRows) {
    let bandEnd = min(band + layout.bandRows, outputRows.upperBound)
    for oy in band..<bandEnd {
      defer {
        firstSlot += s.strideHeight
        while firstSlot >= layout.ringRows { firstSlot -= layout.ringRows }
      }
      ring.load(through: oy * s.strideHeight + (s.kernelHeight - 1) * s.dilationHeight)
      let out = sums + (oy - band) * s.outWidth * 16, weights = UnsafePointer(tapVectors)
      switch (s.kernelHeight, s.kernelWidth) {
      case (3, 3): sumRow(Taps3.self, s, ring, firstSlot, weights, biasVector, lower, upper, clampSums, out)
      case (5, 5): sumRow(Taps5.self, s, ring, firstSlot, weights, biasVector, lower, upper, clampSums, out)
      case (7, 7): sumRow(Taps7.self, s, ring, firstSlot, weights, biasVector, lower, upper, clampSums, out)
      default: sumRow(AnyTaps.self, s, ring, firstSlot, weights, biasVector, lower, upper, clampSums, out)
      }
    }
    let first = band * s.outWidth, pixels = (bandEnd - band) * s.outWidth
    if clampSums && rowActivation >= 0 { activationRow(kind: rowActivation, input: sums, output: sums, count: pixels * 16) }
    unblock(sums, channels, outPlane, first, pixels, residual, lower, upper, scratch + layout.transposeRows, output)
    if !clampSums && rowActivation >= 0 {
      for c in 0..<channels {
        let plane = output + c * outPlane + first
        activationRow(kind: rowActivation, input: plane, output: plane, count: pixels)
      }
    }
  }
}

@inline(__always)
private func loadVector(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

/// The padded input rows a channel block's taps read, `ringRows` of them at a time: padded
/// row `r` sits at slot `r % ringRows`, its pixels are vectors of the 16 channels (zeros in the
/// padding and in the lanes past `channels`).
private struct InputRing {
  let s: DepthwiseBlockShape, rows: Int, paddedRows: Int, columns: Int, input: UnsafePointer<Float>, inputPlane: Int, channels: Int
  let pixels: UnsafeMutablePointer<Float>, transposeRows: UnsafeMutablePointer<Float>
  /// Padded rows below this one are in the ring.
  private(set) var loaded = 0

  init(
    shape: DepthwiseBlockShape, layout: BlockScratch, input: UnsafePointer<Float>, inputPlane: Int, channels: Int,
    ring: UnsafeMutablePointer<Float>
  ) {
    (s, rows, paddedRows, columns) = (shape, layout.ringRows, layout.paddedRows, layout.paddedColumns)
    (self.input, self.inputPlane, self.channels) = (input, inputPlane, channels)
    (pixels, transposeRows) = (ring, ring + layout.transposeRows)
    // The padding's columns, which no input pixel overwrites.
    let (left, right) = interiorColumns
    for slot in 0..<rows {
      let row = ring + slot * columns * 16
      row.update(repeating: 0, count: left * 16)
      (row + right * 16).update(repeating: 0, count: (columns - right) * 16)
    }
  }

  /// The columns that hold input pixels.
  var interiorColumns: (Int, Int) {
    let left = min(s.padLeft, columns)
    return (left, max(left, min(columns, s.padLeft + s.inWidth)))
  }

  /// Loads padded rows up to `last`, and on while the ring has room (the rows from the first
  /// tap row of the output row that reads `last` stay): rows of 16 pixels or more a row at a
  /// time, narrower ones in runs of 16 pixels across rows.
  mutating func load(through last: Int) {
    guard last >= loaded else { return }
    // Rows from `oldest` on must stay: the first one the output row that needs `last` reads.
    // (A range of output rows that starts inside the plane starts loading there.)
    let oldest = last - (s.kernelHeight - 1) * s.dilationHeight
    let start = max(loaded, oldest)
    let end = min(oldest + rows, paddedRows)
    let (left, right) = interiorColumns
    // Rows of padding: zeros between the padding's columns.
    for r in start..<end where r < s.padTop || r >= s.padTop + s.inHeight {
      (pixels + ((r % rows) * columns + left) * 16).update(repeating: 0, count: (right - left) * 16)
    }
    let first = max(start - s.padTop, 0)
    let image = first..<max(first, min(end - s.padTop, s.inHeight))
    loaded = end
    guard !image.isEmpty && right > left else { return }
    // Pixels of a row the taps reach.
    let rowPixels = min(s.inWidth, columns - s.padLeft)
    if rowPixels >= 16 {
      // Row by row, 16 pixels a transpose stored whole; the last 16 end at the row's end.
      for y in image {
        let slot = UnsafeMutableRawPointer(pixels + ((y + s.padTop) % rows * columns + s.padLeft) * 16)
        var x = 0
        while true {
          let x0 = min(x, rowPixels - 16), first = y * s.inWidth + x0
          transpose(rows: channels, from: input + first, stride: inputPlane, into: (slot + x0 * 64).assumingMemoryBound(to: Float.self))
          if x0 == rowPixels - 16 { break }
          x += 16
        }
      }
      return
    }
    // Narrow rows: runs of 16 pixels across rows, each pixel stored on its own.
    let inPlane = s.inHeight * s.inWidth
    var y = image.lowerBound, x = 0
    var slot = (y + s.padTop) % rows
    for p0 in stride(from: image.lowerBound * s.inWidth, to: image.upperBound * s.inWidth, by: 16) {
      let count = min(16, image.upperBound * s.inWidth - p0)
      // Whole vectors while they stay in the plane (lanes past the run are not stored).
      let whole = p0 + 16 <= inPlane
      let m = transposed { c in
        c >= channels ? SIMD16<Float>() : whole ? loadVector(input + c * inputPlane + p0) : .zeroPadded(input + c * inputPlane + p0, min(16, inPlane - p0))
      }
      // Through memory, where a pixel's vector is picked by index (a copy of the tuple was a `memcpy` call).
      UnsafeMutableRawPointer(transposeRows).storeBytes(of: m, as: Rows16.self)
      for j in 0..<count {
        if x < rowPixels {
          UnsafeMutableRawPointer(pixels + (slot * columns + x + s.padLeft) * 16).storeBytes(of: loadVector(transposeRows + j * 16), as: SIMD16<Float>.self)
        }
        x += 1
        if x == s.inWidth {
          (y, x) = (y + 1, 0)
          slot = slot + 1 == rows ? 0 : slot + 1
        }
      }
    }
  }
}

/// An output row's sums plus bias (then clamped, if `clampSums`), pixel by pixel into `sums`;
/// its first tap row is in ring slot `firstSlot`.
@inline(__always)
private func sumRow<K: TapCount>(
  _: K.Type, _ s: DepthwiseBlockShape, _ ring: InputRing, _ firstSlot: Int, _ taps: UnsafePointer<Float>, _ bias: SIMD16<Float>,
  _ lower: Float, _ upper: Float, _ clampSums: Bool, _ sums: UnsafeMutablePointer<Float>
) {
  typealias V = SIMD16<Float>
  let kernelHeight = K.side ?? s.kernelHeight, kernelWidth = K.side ?? s.kernelWidth
  // Kernel row ky's padded row, a pointer stepped down the ring and wrapped to its start.
  let rowFloats = ring.columns &* 16, ringFloats = ring.rows &* rowFloats, tapRowStep = s.dilationHeight &* rowFloats
  let firstRow = UnsafePointer(ring.pixels) + firstSlot &* rowFloats, ringEnd = UnsafePointer(ring.pixels) + ringFloats
  let columnStep = s.strideWidth &* 16, tapColumnStep = s.dilationWidth &* 16
  var ox = 0
  while ox < s.outWidth {
    // Pixels past the row's end repeat its last one and are not stored.
    let last = s.outWidth - 1
    let (x0, x1, x2, x3) = (ox &* columnStep, min(ox + 1, last) &* columnStep, min(ox + 2, last) &* columnStep, min(ox + 3, last) &* columnStep)
    var (s0, s1, s2, s3) = (V(), V(), V(), V())
    var tapRow = firstRow
    for ky in 0..<kernelHeight {
      for kx in 0..<kernelWidth {
        let w = loadVector(taps + (ky &* kernelWidth &+ kx) &* 16), tap = tapRow + kx &* tapColumnStep
        s0 = mulAdd(s0, loadVector(tap + x0), w)
        s1 = mulAdd(s1, loadVector(tap + x1), w)
        s2 = mulAdd(s2, loadVector(tap + x2), w)
        s3 = mulAdd(s3, loadVector(tap + x3), w)
      }
      tapRow += tapRowStep
      if tapRow >= ringEnd { tapRow -= ringFloats }
    }
    (s0, s1, s2, s3) = (s0 + bias, s1 + bias, s2 + bias, s3 + bias)
    if clampSums {
      (s0, s1, s2, s3) = (s0.clamped(lower, upper), s1.clamped(lower, upper), s2.clamped(lower, upper), s3.clamped(lower, upper))
    }
    let out = UnsafeMutableRawPointer(sums + ox * 16)
    out.storeBytes(of: s0, as: V.self)
    if ox + 1 <= last { out.storeBytes(of: s1, toByteOffset: 64, as: V.self) }
    if ox + 2 <= last { out.storeBytes(of: s2, toByteOffset: 128, as: V.self) }
    if ox + 3 <= last { out.storeBytes(of: s3, toByteOffset: 192, as: V.self) }
    ox += 4
  }
}

/// A band's sums (pixel by pixel from plane position `first`, `pixels` of them) back into the
/// channel planes, 16 pixels at a time; with a residual, added and then clamped.
@inline(__always)
private func unblock(
  _ sums: UnsafePointer<Float>, _ channels: Int, _ outPlane: Int, _ first: Int, _ pixels: Int, _ residual: UnsafePointer<Float>?,
  _ lower: Float, _ upper: Float, _ rows: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>
) {
  typealias V = SIMD16<Float>
  for p0 in stride(from: 0, to: pixels, by: 16) {
    let count = min(16, pixels - p0)
    transpose(rows: 16, from: sums + p0 * 16, stride: 16, into: rows)
    for c in 0..<channels {
      var v = loadVector(rows + c * 16)
      if let residual {
        let r = residual + c * outPlane + first + p0
        v = (v + (count == 16 ? loadVector(r) : V.zeroPadded(r, count))).clamped(lower, upper)
      }
      let out = output + c * outPlane + first + p0
      if count == 16 { UnsafeMutableRawPointer(out).storeBytes(of: v, as: V.self) } else { v.storePrefix(count, to: out) }
    }
  }
}
/// Rows `0..<count` (at most 16) of 16 floats, `stride` floats apart from `src` (zeros after
/// `count`), transposed into the 256 floats at `dst`: pixel j's 16 channels from plane rows, or
/// back. With AVX but not AVX-512 in 8 x 8 blocks through the C shim (Transpose.h); the
/// in-register 16-lane transpose below elsewhere. Either moves the same floats.
@inline(__always)
private func transpose(rows count: Int, from src: UnsafePointer<Float>, stride: Int, into dst: UnsafeMutablePointer<Float>) {
  #if GRAPHC_FMA
    if graphc_transpose16_by_halves() != 0 { return graphc_transpose16x16(src, stride, count, dst) }
  #endif
  UnsafeMutableRawPointer(dst).storeBytes(of: transposed { c in c < count ? loadVector(src + c * stride) : SIMD16<Float>() }, as: Rows16.self)
}

/// 16 vectors of 16 floats, made by `row(0)` ... `row(15)`, transposed: vector j holds lane j of
/// each. Four rounds of splitting pairs of vectors into their even and odd lanes, each a
/// two-vector permute, with the matrix in registers (a loop over memory took twice as long).
@inline(__always)
private func transposed(_ row: (Int) -> SIMD16<Float>) -> Rows16 {
  let m = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7), row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
  return unzipRound(unzipRound(unzipRound(unzipRound(m))))
}

private typealias Rows16 = (
  SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
  SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>
)

/// The 256 floats with each index's bits rotated right by one: even lanes of each pair of
/// vectors first, then the odd lanes. Four rounds swap an index's high and low four bits.
@inline(__always)
private func unzipRound(_ m: Rows16) -> Rows16 {
  @inline(__always) func unzip(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
    (SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf), SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf))
  }
  let (e0, o0) = unzip(m.0, m.1), (e1, o1) = unzip(m.2, m.3), (e2, o2) = unzip(m.4, m.5), (e3, o3) = unzip(m.6, m.7)
  let (e4, o4) = unzip(m.8, m.9), (e5, o5) = unzip(m.10, m.11), (e6, o6) = unzip(m.12, m.13), (e7, o7) = unzip(m.14, m.15)
  return (e0, e1, e2, e3, e4, e5, e6, e7, o0, o1, o2, o3, o4, o5, o6, o7)
}
