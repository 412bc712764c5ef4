// Depthwise convolution over small planes with vectors across channels, compiled once per
// instruction set like DepthwisePlanes.swift (KernelsGeneric and KernelsSkylakeX link this
// file). On a 7x7 or 14x14 plane a plane at a time wastes lanes (7 of 8, 14 of 16) and pays a
// call, a padded copy and an activation pass per 49 or 196 outputs; onnxruntime ran
// EfficientNet-B0's depthwise convs there 2.5-4x faster in its 16-channel blocked layout.
// Here 16 channels go through together: their planes are transposed into a zero-padded
// scratch of 16-channel pixels, each output pixel is one vector of 16 channels, and the
// sums are transposed back into the channel planes.

/// A depthwise convolution's geometry for ``depthwiseChannelBlock``: one input and one output
/// channel per group, `kernelHeight * kernelWidth` taps per channel.
public typealias DepthwiseBlockShape = (
  inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, kernelHeight: Int, kernelWidth: Int,
  strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int, padTop: Int, padLeft: Int
)

/// The padded input's rows and columns: down to the last row and column a tap reaches.
@inline(__always)
private func paddedSize(_ s: DepthwiseBlockShape) -> (rows: Int, columns: Int) {
  ((s.outHeight - 1) * s.strideHeight + (s.kernelHeight - 1) * s.dilationHeight + 1,
   (s.outWidth - 1) * s.strideWidth + (s.kernelWidth - 1) * s.dilationWidth + 1)
}

/// Floats of scratch ``depthwiseChannelBlock`` takes for `shape`, 16 floats (one per channel)
/// each: the padded input, the taps, the sums (rounded up to whole transposes, whose lanes past
/// the plane are read but never stored) and a transpose's 16 rows; a little to spare.
public func depthwiseChannelBlockScratch(_ shape: DepthwiseBlockShape) -> Int {
  let padded = paddedSize(shape)
  let sums = (shape.outHeight * shape.outWidth + 15) / 16 * 16
  return (padded.rows * padded.columns + (shape.kernelHeight * shape.kernelWidth + 15) / 16 * 16 + sums + 16) * 16
}

/// `channels` (1...16) consecutive channels of a depthwise convolution: the planes at `input`
/// (`inputPlane` floats apart) into the planes at `output` (`outHeight * outWidth` apart), with
/// `weights` the channels' taps one after another, `bias` and `residual` (planes as the
/// output's) from the first channel on, the clamp `[lower, upper]`, then the row activation
/// `rowActivation` (one of `activationRow`'s kinds, or -1 for none).
///
/// Each output sums its taps from zero in the order (ky, then kx) with one multiply-add per
/// tap, adds the bias, then the residual, and clamps, exactly as `depthwisePlane` does: the
/// two kernels give the same bits, and the activation those of `activationRow`. Four output
/// pixels at a time keep four chains of dependent multiply-adds in flight. `scratch` holds
/// ``depthwiseChannelBlockScratch(_:)`` floats.
public func depthwiseChannelBlock(
  input: UnsafePointer<Float>, inputPlane: Int, channels: Int, shape: DepthwiseBlockShape, weights: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, lower: Float, upper: Float, rowActivation: Int,
  scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
) {
  let sums: UnsafePointer<Float>
  switch (shape.kernelHeight, shape.kernelWidth) {
  case (3, 3): sums = block(Taps3.self, input, inputPlane, channels, shape, weights, bias, scratch)
  case (5, 5): sums = block(Taps5.self, input, inputPlane, channels, shape, weights, bias, scratch)
  case (7, 7): sums = block(Taps7.self, input, inputPlane, channels, shape, weights, bias, scratch)
  default: sums = block(AnyTaps.self, input, inputPlane, channels, shape, weights, bias, scratch)
  }
  let outPlane = shape.outHeight * shape.outWidth
  switch rowActivation {
  case 0: unblock(Sigmoid.self, sums, channels, outPlane, residual, lower, upper, output)
  case 1: unblock(SiLU.self, sums, channels, outPlane, residual, lower, upper, output)
  case 2: unblock(Tanh.self, sums, channels, outPlane, residual, lower, upper, output)
  case 3: unblock(Erf.self, sums, channels, outPlane, residual, lower, upper, output)
  case 4: unblock(Exp.self, sums, channels, outPlane, residual, lower, upper, output)
  case 5: unblock(GELU.self, sums, channels, outPlane, residual, lower, upper, output)
  case 6: unblock(GELUTanh.self, sums, channels, outPlane, residual, lower, upper, output)
  case 7: unblock(HardSwish.self, sums, channels, outPlane, residual, lower, upper, output)
  default: unblock(Identity.self, sums, channels, outPlane, residual, lower, upper, output)
  }
}

/// The block's sums plus bias, pixel by pixel (16 channels each), in `scratch`; returns where.
@inline(__always)
private func block<K: TapCount>(
  _: K.Type, _ input: UnsafePointer<Float>, _ inputPlane: Int, _ channels: Int, _ s: DepthwiseBlockShape,
  _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>
) -> UnsafePointer<Float> {
  typealias V = SIMD16<Float>
  let kernelHeight = K.side ?? s.kernelHeight, kernelWidth = K.side ?? s.kernelWidth
  let taps = kernelHeight * kernelWidth
  let padded = paddedSize(s)
  @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
  let pixels = scratch, tapVectors = scratch + padded.rows * padded.columns * 16
  let sums = tapVectors + taps * 16
  let rows = sums + (s.outHeight * s.outWidth + 15) / 16 * 256

  // The input's pixels, channel c in lane c; zeros in the padding and in the lanes past
  // `channels`. 16 pixels of the 16 planes at a time, transposed in registers.
  let rowFloats = padded.columns * 16
  let image = (top: s.padTop, bottom: min(padded.rows, s.padTop + s.inHeight))
  let columns = (left: min(s.padLeft, padded.columns), right: min(padded.columns, s.padLeft + s.inWidth))
  for r in 0..<padded.rows {
    let row = pixels + r * rowFloats
    if r < image.top || r >= image.bottom {
      row.update(repeating: 0, count: rowFloats)
    } else {
      row.update(repeating: 0, count: columns.left * 16)
      (row + columns.right * 16).update(repeating: 0, count: (padded.columns - columns.right) * 16)
    }
  }
  let inPlane = s.inHeight * s.inWidth
  var (y, x) = (0, 0)
  for p0 in stride(from: 0, to: inPlane, by: 16) {
    let count = min(16, inPlane - p0)
    let m = transposed { c in
      c >= channels ? V() : count == 16 ? load(input + c * inputPlane + p0) : V.zeroPadded(input + c * inputPlane + p0, count)
    }
    // Through memory, where a pixel's vector is picked by index (a copy of the tuple was a `memcpy` call).
    UnsafeMutableRawPointer(rows).storeBytes(of: m, as: Rows16.self)
    for j in 0..<count {
      if y + s.padTop < padded.rows && x + s.padLeft < padded.columns {
        UnsafeMutableRawPointer(pixels + ((y + s.padTop) * padded.columns + x + s.padLeft) * 16)
          .storeBytes(of: load(rows + j * 16), as: V.self)
      }
      x += 1
      if x == s.inWidth { (y, x) = (y + 1, 0) }
    }
  }
  // Tap t's weights of the 16 channels (zeros past `channels`), 16 taps at a time transposed.
  for t0 in stride(from: 0, to: taps, by: 16) {
    let count = min(16, taps - t0)
    let m = transposed { c in
      c >= channels ? V() : count == 16 ? load(weights + c * taps + t0) : V.zeroPadded(weights + c * taps + t0, count)
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

  let columnStep = s.strideWidth * 16, tapColumnStep = s.dilationWidth * 16
  for oy in 0..<s.outHeight {
    let top = UnsafePointer(pixels) + oy * s.strideHeight * padded.columns * 16
    var ox = 0
    while ox < s.outWidth {
      // Pixels past the row's end repeat its last one and are not stored.
      let last = s.outWidth - 1
      let (x0, x1, x2, x3) = (ox * columnStep, min(ox + 1, last) * columnStep, min(ox + 2, last) * columnStep, min(ox + 3, last) * columnStep)
      var (s0, s1, s2, s3) = (V(), V(), V(), V())
      for ky in 0..<kernelHeight {
        let row = top + ky * s.dilationHeight * padded.columns * 16
        for kx in 0..<kernelWidth {
          let w = load(tapVectors + (ky * kernelWidth + kx) * 16), tap = row + kx * tapColumnStep
          s0 = mulAdd(s0, load(tap + x0), w)
          s1 = mulAdd(s1, load(tap + x1), w)
          s2 = mulAdd(s2, load(tap + x2), w)
          s3 = mulAdd(s3, load(tap + x3), w)
        }
      }
      (s0, s1, s2, s3) = (s0 + biasVector, s1 + biasVector, s2 + biasVector, s3 + biasVector)
      let out = UnsafeMutableRawPointer(sums + (oy * s.outWidth + ox) * 16)
      out.storeBytes(of: s0, as: V.self)
      if ox + 1 <= last { out.storeBytes(of: s1, toByteOffset: 64, as: V.self) }
      if ox + 2 <= last { out.storeBytes(of: s2, toByteOffset: 128, as: V.self) }
      if ox + 3 <= last { out.storeBytes(of: s3, toByteOffset: 192, as: V.self) }
      ox += 4
    }
  }

  return UnsafePointer(sums)
}

/// The block's sums (after `block`) back into the channel planes, 16 pixels at a time, with the
/// residual and the clamp, then `F` over the planes (as `activationRow` computes it). The transposes' rows go through the scratch after the sums.
@inline(__always)
private func unblock<F: RowFunction>(
  _: F.Type, _ sums: UnsafePointer<Float>, _ channels: Int, _ outPlane: Int, _ residual: UnsafePointer<Float>?,
  _ lower: Float, _ upper: Float, _ output: UnsafeMutablePointer<Float>
) {
  typealias V = SIMD16<Float>
  @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
  let rows = UnsafeMutablePointer(mutating: sums + (outPlane + 15) / 16 * 256)
  for p0 in stride(from: 0, to: outPlane, by: 16) {
    let count = min(16, outPlane - p0)
    UnsafeMutableRawPointer(rows).storeBytes(of: transposed { j in load(sums + (p0 + j) * 16) }, as: Rows16.self)
    for c in 0..<channels {
      var v = load(rows + c * 16)
      if let residual {
        let r = residual + c * outPlane + p0
        v += count == 16 ? load(r) : V.zeroPadded(r, count)
      }
      v = v.clamped(lower, upper)
      let out = output + c * outPlane + p0
      if count == 16 { UnsafeMutableRawPointer(out).storeBytes(of: v, as: V.self) } else { v.storePrefix(count, to: out) }
    }
  }
  // A pass of its own over the block's planes, still in cache: applied to each vector before
  // its store, the function compiled to a mix of 4-, 8- and 16-lane pieces, 30% slower.
  if F.self != Identity.self { row(F.self, output, output, channels * outPlane) }
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
