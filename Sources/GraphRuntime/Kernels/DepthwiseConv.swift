import GraphPlan

extension Kernels {
  /// Depthwise convolution (one input and one output channel per group), a plane at a time
  /// through the instruction set's `depthwisePlane` (bias, residual and a clamping activation
  /// fused; other activations then run over the finished plane, which is still in cache).
  ///
  /// Each input plane is copied once into a zero-padded plane in the thread's scratch, so no
  /// column needs a border path: at stride `s` a padded row is split into `s` phases (phase `q`
  /// holds padded columns `q`, `q + s`, ...), which turns every tap of a strided or dilated
  /// kernel into a contiguous load. Rows a tap reaches outside the image are zeros (their
  /// products add nothing).
  ///
  /// Every output sums its taps in the same order (ky, then kx, from 0) on the same path, so the
  /// bits do not depend on the thread count; threads take whole planes (batch × channels).
  /// - Parameter kernels: the instruction set's kernels (tests pass each one the CPU runs).
  static func depthwiseConv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue, output: UnsafeMutablePointer<Float>, pool: ThreadPool?, kernels: KernelTable = .current
  ) {
    let g = p.geometry
    let rows = PaddedRows(g)
    let (lower, upper, after) = epilogue.activation.clampBounds
    withUnsafePointer(to: kernels) { kernels in
      parallelFor(pool, p.batch * g.outChannels, (p, rows, input, weights, epilogue, output, kernels, lower, upper, after)) {
        context, plane in
        let (p, rows, input, weights, epilogue, output, kernels, lower, upper, after) = context
        let g = p.geometry, window = g.window
        let (oh, ow, kw) = (g.outHeight, g.outWidth, window.kernelWidth)
        let n = plane / g.outChannels, c = plane % g.outChannels
        // Scratch: the taps' offsets into a padded row, then the padded plane and its working row.
        let scratch = ThreadScratch.floats(kw * intFloats + rows.scratchFloats)
        let offsets = UnsafeMutableRawPointer(scratch).bindMemory(to: Int.self, capacity: kw)
        for kx in 0..<kw { offsets[kx] = rows.offset(ofTap: kx) }
        let padded = scratch + kw * intFloats
        rows.pad(plane: input + plane * g.inHeight * g.inWidth, into: padded)
        let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * oh * ow
        let shape = (
          rowStride: window.strideHeight * rows.rowLength, tapRowStride: window.dilationHeight * rows.rowLength,
          kernelHeight: window.kernelHeight, kernelWidth: kw, outHeight: oh, outWidth: ow)
        kernels.pointee.depthwisePlane(
          padded, shape, weights + c * window.kernelHeight * kw, offsets, epilogue.bias.map { $0[c] } ?? 0,
          epilogue.residual.map { $0 + plane * oh * ow }, lower, upper, dst)
        if let after { activation(after, dst, count: oh * ow, output: dst) }
      }
    }
  }

  /// Floats that hold one `Int`.
  private static let intFloats = MemoryLayout<Int>.stride / MemoryLayout<Float>.stride

  /// An input plane of a depthwise convolution as a zero-padded plane whose rows are split into
  /// stride phases.
  struct PaddedRows {
    let inHeight: Int, inWidth: Int, padTop: Int, padLeft: Int, stride: Int, dilation: Int
    /// Floats per phase: each phase reaches one vector past the last output column's farthest tap.
    let phaseLength: Int
    /// Floats per padded row (`stride` phases).
    let rowLength: Int
    /// Padded rows: padded row `r` holds input row `r - padTop`, down to the last row a tap reaches.
    let planeRows: Int

    init(_ g: Conv2DGeometry) {
      let w = g.window
      (inHeight, inWidth, padTop, padLeft) = (g.inHeight, g.inWidth, w.padTop, w.padLeft)
      (stride, dilation) = (w.strideWidth, w.dilationWidth)
      // `depthwisePlane` reads rows up to 8 wide by 8-float vectors, wider ones by 16.
      let vector = g.outWidth <= 8 ? 8 : 16
      phaseLength = (g.outWidth + vector - 1) / vector * vector + (w.kernelWidth - 1) * dilation / stride
      rowLength = stride * phaseLength
      planeRows = (g.outHeight - 1) * w.strideHeight + (w.kernelHeight - 1) * w.dilationHeight + 1
    }

    /// Floats in a padded plane.
    var planeFloats: Int { planeRows * rowLength }

    /// Where tap `kx` of output column 0 sits in a padded row (column `j`'s is `j` further).
    func offset(ofTap kx: Int) -> Int { (kx * dilation) % stride * phaseLength + (kx * dilation) / stride }

    /// Phase q's indices i with 0 <= q + stride * i - padLeft < inWidth: the columns a row copy
    /// takes from the input; the others are zeros.
    @inline(__always)
    func interior(_ q: Int) -> Range<Int> {
      let first = min(max(0, ceilDivide(padLeft - q, stride)), phaseLength)
      return first..<min(max(first, ceilDivide(inWidth + padLeft - q, stride)), phaseLength)
    }

    /// Floats of a padded row before its phases are split: `padLeft` zeros, the input row,
    /// zeros, as far as the phases' 16-float loads of even columns reach.
    var wideRowFloats: Int { stride * ((phaseLength + 7) / 8 * 8) + 16 }

    /// Floats `pad(plane:into:)` works in: the plane, 8 that a row's last vector store may pass
    /// it by, and the wide row.
    var scratchFloats: Int { planeFloats + 8 + (stride == 1 ? 0 : wideRowFloats) }

    /// Input plane `src` into the padded plane at `plane` (every float of it written), using
    /// `scratchFloats` there. At stride 1 that is zeros in one call, then each row's columns
    /// inside the image by vectors (a call or two per row cost more than a 7- or 14-column
    /// row's convolution). At larger strides each input row goes between zeros in a wide row
    /// first, whose phases are then gathered whole (even columns by vectors at stride 2).
    func pad(plane src: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) {
      let first = min(max(0, padTop), planeRows)
      let image = first..<max(first, min(planeRows, padTop + inHeight))
      if stride == 1 {
        plane.update(repeating: 0, count: planeFloats)
        let columns = interior(0)
        for r in image {
          copyFloats(src + (r - padTop) * inWidth + (columns.lowerBound - padLeft), to: plane + r * rowLength + columns.lowerBound, count: columns.count)
        }
        return
      }
      // Zeros around the row's copy stay from here on: every row copies into the same columns.
      let wide = plane + planeFloats + 8
      wide.update(repeating: 0, count: wideRowFloats)
      let copied = min(inWidth, max(0, wideRowFloats - padLeft))
      plane.update(repeating: 0, count: image.lowerBound * rowLength)
      for r in image {
        copyFloats(src + (r - padTop) * inWidth, to: wide + padLeft, count: copied)
        let row = plane + r * rowLength
        for q in 0..<stride {
          let phase = row + q * phaseLength
          if stride == 2 {
            // Its last store may pass the phase: onto the next phase or row, written after it.
            for i in Swift.stride(from: 0, to: phaseLength, by: 8) {
              let v = UnsafeRawPointer(wide + q + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
              UnsafeMutableRawPointer(phase + i).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
            }
          } else {
            for i in 0..<phaseLength { phase[i] = wide[q + stride * i] }
          }
        }
      }
      (plane + image.upperBound * rowLength).update(repeating: 0, count: (planeRows - image.upperBound) * rowLength)
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

  /// `a / b` rounded up, for `b > 0` and any sign of `a`.
  @inline(__always)
  static func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -(-a / b) }
}
