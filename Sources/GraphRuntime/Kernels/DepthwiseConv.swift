#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GraphPlan

extension Kernels {
  /// Depthwise convolution (one input and one output channel per group), a row of outputs at a
  /// time through the instruction set's `depthwiseRow` (16 columns per vector, bias, residual
  /// and a clamping activation fused; other activations then run over the finished row).
  ///
  /// Input rows are copied once into zero-padded rows, so no column needs a border path: at
  /// stride `s` a padded row is split into `s` phases (phase `q` holds padded columns `q`,
  /// `q + s`, ...), which turns every tap of a strided or dilated kernel into a contiguous
  /// load. A ring of `(kernelHeight - 1) * dilation + 1` padded rows per plane keeps each input
  /// row copied once; the ring is zeroed once per plane, and copies only write inside the image. Kernel rows that fall outside the image are skipped, which is the same as
  /// adding their zero products.
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
        let (oh, ow, kh, kw, dy) = (g.outHeight, g.outWidth, window.kernelHeight, window.kernelWidth, window.dilationHeight)
        let n = plane / g.outChannels, c = plane % g.outChannels
        let src = input + plane * g.inHeight * g.inWidth
        let w = weights + c * kh * kw
        let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * oh * ow
        let residual = epilogue.residual.map { $0 + plane * oh * ow }
        let bias = epilogue.bias.map { $0[c] } ?? 0
        let ringRows = rows.ringRows, rowLength = rows.rowLength
        withUnsafeTemporaryAllocation(of: Float.self, capacity: ringRows * rowLength) { ring in
          // The taps' offsets into a padded row, then the input row each ring slot holds.
          withUnsafeTemporaryAllocation(of: Int.self, capacity: kw + ringRows) { ints in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: kh) { taps in
              let offsets = ints.baseAddress!, held = offsets + kw
              for kx in 0..<kw { offsets[kx] = rows.offset(ofTap: kx) }
              for slot in 0..<ringRows { held[slot] = -1 }
              memset(ring.baseAddress!, 0, ringRows * rowLength * MemoryLayout<Float>.stride)
              for oy in 0..<oh {
                let yBase = oy * window.strideHeight - window.padTop
                let kyBegin = tapRangeBegin(base: yBase, dilation: dy)
                let kyEnd = max(kyBegin, tapRangeEnd(base: yBase, dilation: dy, extent: g.inHeight, kernel: kh))
                for ky in kyBegin..<kyEnd {
                  let iy = yBase + ky * dy, slot = iy % ringRows
                  let row = ring.baseAddress! + slot * rowLength
                  if held[slot] != iy {
                    rows.pad(src + iy * g.inWidth, into: row)
                    held[slot] = iy
                  }
                  taps[ky - kyBegin] = UnsafePointer(row)
                }
                let out = dst + oy * ow
                kernels.pointee.depthwiseRow(
                  taps.baseAddress!, kyEnd - kyBegin, w + kyBegin * kw, kw, offsets, ow, bias, residual.map { $0 + oy * ow },
                  lower, upper, out)
                if let after { activation(after, out, count: ow, output: out) }
              }
            }
          }
        }
      }
    }
  }

  /// Input rows of a depthwise convolution as zero-padded rows split into stride phases.
  struct PaddedRows {
    let inWidth: Int, padLeft: Int, stride: Int, dilation: Int
    /// Floats per phase: each phase reaches one vector past the last output column's farthest tap.
    let phaseLength: Int
    /// Floats per padded row (`stride` phases), and rows in a plane's ring.
    let rowLength: Int, ringRows: Int

    init(_ g: Conv2DGeometry) {
      let w = g.window
      (inWidth, padLeft, stride, dilation) = (g.inWidth, w.padLeft, w.strideWidth, w.dilationWidth)
      phaseLength = (g.outWidth + 15) / 16 * 16 + (w.kernelWidth - 1) * dilation / stride
      rowLength = stride * phaseLength
      ringRows = (w.kernelHeight - 1) * w.dilationHeight + 1
    }

    /// Where tap `kx` of output column 0 sits in a padded row (column `j`'s is `j` further).
    func offset(ofTap kx: Int) -> Int { (kx * dilation) % stride * phaseLength + (kx * dilation) / stride }

    /// Phase q's indices i with 0 <= q + stride * i - padLeft < inWidth: the columns a row copy
    /// writes; the zeros around them are written once per plane and never overwritten.
    func interior(_ q: Int) -> Range<Int> {
      let first = min(max(0, ceilDivide(padLeft - q, stride)), phaseLength)
      return first..<min(max(first, ceilDivide(inWidth + padLeft - q, stride)), phaseLength)
    }

    /// Input row `src` into `row`'s phases.
    func pad(_ src: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>) {
      for q in 0..<stride {
        let phase = row + q * phaseLength, columns = interior(q)
        if stride == 1 {
          (phase + columns.lowerBound).update(from: src + (columns.lowerBound - padLeft), count: columns.count)
          continue
        }
        var i = columns.lowerBound
        if stride == 2 {
          // Eight of the phase from sixteen of the row, while all sixteen are inside it.
          while i + 8 <= columns.upperBound && q + 2 * i + 15 - padLeft < inWidth {
            let v = UnsafeRawPointer(src + (q + 2 * i - padLeft)).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(phase + i).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
            i += 8
          }
        }
        while i < columns.upperBound {
          phase[i] = src[q + stride * i - padLeft]
          i += 1
        }
      }
    }
  }

  /// `a / b` rounded up, for `b > 0` and any sign of `a`.
  @inline(__always)
  static func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -(-a / b) }
}
