import GraphPlan
import KernelsGeneric

extension Kernels {
  /// Max or average pooling over any number of spatial axes (the plan's 3-D and wider pools)
  /// into a (possibly sliced) output, threads over channel planes. Same contract and
  /// bit-identical numbers as `Reference.poolND` (GraphReference).
  ///
  /// Each output row (a line along the last axis) folds its window's taps in: for each tap
  /// of the outer axes whose input row lies inside the input, and each column tap, the output
  /// columns whose tap lies inside that row take it, 8 at a time with the 2-D pools' vector
  /// loads (``TapLoad``: dense at stride 1, shuffled at stride 2). Every output thus meets its
  /// taps in the reference's row-major order, so sums round alike; averages then divide by
  /// the product of the per-axis tap counts.
  package static func poolND(
    _ p: PoolNDParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    func run<F: PoolFold>(_: F.Type) {
      switch p.geometry.window.strides.last {
      case 1: poolNDPlanes(p, F.self, DenseTaps.self, input: input, output: output, pool: pool)
      case 2: poolNDPlanes(p, F.self, EvenTaps.self, input: input, output: output, pool: pool)
      default: poolNDPlanes(p, F.self, StridedTaps.self, input: input, output: output, pool: pool)
      }
    }
    if p.kind == .max { run(MaxFold.self) } else { run(SumFold.self) }
  }

  private static func poolNDPlanes<F: PoolFold, L: TapLoad>(
    _ p: PoolNDParameters, _: F.Type, _: L.Type, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool?
  ) {
    // The parameters' arrays go by pointer (see `parallelFor`).
    withUnsafePointer(to: p) { p in
      parallelFor(pool, p.pointee.batch * p.pointee.geometry.channels, (p, input, output)) { context, plane in
        let (p, input, output) = context
        poolNDPlane(p.pointee, F.self, L.self, plane: plane, input: input, output: output)
      }
    }
  }

  /// Plane `plane` (image and channel) of ``poolNDPlanes``.
  private static func poolNDPlane<F: PoolFold, L: TapLoad>(
    _ p: PoolNDParameters, _: F.Type, _: L.Type, plane: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    let g = p.geometry, w = g.window, last = w.rank - 1
    let n = plane / g.channels, c = plane % g.channels
    let src = input + plane * g.inVolume
    let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * g.outVolume
    let (inSizes, outSizes) = (g.inSizes, g.outSizes)
    let inW = inSizes[last], outW = outSizes[last], strideW = w.strides[last]
    let kernelW = w.kernel[last], outerTaps = w.taps / kernelW
    /// Taps along axis `i` of the window starting at `start` that lie in `lo ..< hi`.
    func taps(axis i: Int, start: Int, within lo: Int, _ hi: Int) -> Int {
      let d = w.dilations[i]
      return max(0, min(w.kernel[i], KernelsGeneric.ceilDivide(hi - start, d)) - max(0, KernelsGeneric.ceilDivide(lo - start, d)))
    }
    /// The divisor's factor along axis `i` for a window starting at `start`.
    func count(axis i: Int, start: Int) -> Int {
      p.countIncludePad
        ? taps(axis: i, start: start, within: -w.padsBegin[i], inSizes[i] + w.padsEnd[i])
        : taps(axis: i, start: start, within: 0, inSizes[i])
    }

    for r in 0..<(g.outVolume / outW) {
      let out = dst + r * outW
      out.update(repeating: F.seed, count: outW)
      for outerTap in 0..<outerTaps {
        // The input row of this outer tap, skipped in the padding.
        guard let rowOffset = w.inputRowOffset(outputRow: r, outerTap: outerTap, inSizes: inSizes, outSizes: outSizes) else {
          continue
        }
        for kx in 0..<kernelW {
          // Output column ox reads input column ox * stride + base; keep those inside the row.
          let base = kx * w.dilations[last] - w.padsBegin[last]
          let first = max(0, KernelsGeneric.ceilDivide(-base, strideW)), end = min(outW, KernelsGeneric.ceilDivide(inW - base, strideW))
          if first < end { foldTaps(F.self, L.self, src + rowOffset + base, stride: strideW, columns: first..<end, into: out) }
        }
      }
      if !F.divides { continue }
      // The divisor: the outer axes' tap counts for this row, times the last axis's per column.
      var outer = 1, outerRest = r
      for i in stride(from: last - 1, through: 0, by: -1) {
        outer *= count(axis: i, start: (outerRest % outSizes[i]) * w.strides[i] - w.padsBegin[i])
        outerRest /= outSizes[i]
      }
      for ox in 0..<outW {
        out[ox] = F.finish(out[ox], divisor: outer * count(axis: last, start: ox * strideW - w.padsBegin[last]))
      }
    }
  }

  /// `out[ox] = fold(out[ox], taps[ox * stride])` for `ox` in `columns`, 8 at a time (every
  /// lane's tap inside the input), then one at a time.
  @inline(__always)
  private static func foldTaps<F: PoolFold, L: TapLoad>(
    _: F.Type, _: L.Type, _ taps: UnsafePointer<Float>, stride: Int, columns: Range<Int>, into out: UnsafeMutablePointer<Float>
  ) {
    var ox = columns.lowerBound
    while ox &+ SIMD8<Float>.scalarCount <= columns.upperBound {
      let x: SIMD8<Float> = L.load(taps + ox &* stride, stride: stride)
      let acc = F.fold(SIMD8<Float>.dense(out + ox), x)
      UnsafeMutableRawPointer(out + ox).storeBytes(of: acc, as: SIMD8<Float>.self)
      ox &+= SIMD8<Float>.scalarCount
    }
    while ox < columns.upperBound {
      out[ox] = F.fold(out[ox], taps[ox &* stride])
      ox &+= 1
    }
  }
}

/// Max with the reference's rules: the first of equal values stays, and NaN wins (the last NaN).
enum MaxFold: PoolFold {
  static var seed: Float { -.greatestFiniteMagnitude }
  @inline(__always) static func fold(_ acc: Float, _ x: Float) -> Float { x > acc || x.isNaN ? x : acc }
  @inline(__always) static func fold<V: PoolVector>(_ acc: V, _ x: V) -> V { V.maxKeepingNaN(acc, x) }
}
