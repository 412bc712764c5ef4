import GraphPlan

extension Kernels {
  /// Separable resize of each `[H, W]` plane of a contiguous tensor of `inputDims` (the last two
  /// axes; a rank-1 input is one row): output `(y, x)` is `Σ_i wy_i · Σ_j wx_j · in[row_i, column_j]`
  /// over the taps of `rows[y]` and `columns[x]`, in the order `Reference.resize` sums them, so
  /// the bits are the reference's.
  ///
  /// Two passes per plane, in the thread's scratch: every input row some output row reads is
  /// blended across once (the inner sums, `W_out` per row), then each output row sums its rows'
  /// blends 16 columns at a time. Upsampling by 2 reads each input row from two output rows, and
  /// the inner sums were recomputed for each. Threads take whole planes.
  ///
  /// Keeping every input row's blend takes `H_in x W_out` floats, which a resize that shrinks one
  /// axis and stretches the other can make far larger than input and output together (a `[4096, 1]`
  /// plane to `[1, 4096]`: 64 MiB; a crafted plan, terabytes). Past `cacheFloats`, each output row
  /// blends its rows as it sums them instead, in the same order (the same bits), in `W_out`.
  package static func resize(
    _ input: UnsafePointer<Float>, inputDims: [Int], rows: ResizeAxis, columns: ResizeAxis, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil, cacheFloats: Int = 1 << 22
  ) {
    let (outer, height, width) = ResizeAxis.planes(inputDims)
    // Nothing to write (and an empty table has no base address to take).
    guard outer > 0, rows.count > 0, columns.count > 0 else { return }
    rows.positions.withUnsafeBufferPointer { rowAt in
      rows.weights.withUnsafeBufferPointer { rowWeight in
        columns.positions.withUnsafeBufferPointer { columnAt in
          columns.weights.withUnsafeBufferPointer { columnWeight in
            let axes = ResizeTables(
              rowTaps: rows.taps, rowAt: rowAt.baseAddress!, rowWeight: rowWeight.baseAddress!, outHeight: rows.count,
              columnTaps: columns.taps, columnAt: columnAt.baseAddress!, columnWeight: columnWeight.baseAddress!,
              outWidth: columns.count, height: height, width: width)
            let (blends, overflow) = height.multipliedReportingOverflow(by: columns.count)
            let cached = !overflow && blends <= cacheFloats
            parallelFor(pool, outer, (axes, input, output, cached)) { context, p in
              let (axes, input, output, cached) = context
              let plane = input + p * axes.height * axes.width, out = output + p * axes.outHeight * axes.outWidth
              if cached {
                axes.resize(plane: plane, into: out)
              } else {
                axes.resizeRowByRow(plane: plane, into: out)
              }
            }
          }
        }
      }
    }
  }

  /// A resize's tap tables by pointer (a parallel loop's context holds no arrays).
  private struct ResizeTables {
    let rowTaps: Int, rowAt: UnsafePointer<Int>, rowWeight: UnsafePointer<Float>, outHeight: Int
    let columnTaps: Int, columnAt: UnsafePointer<Int>, columnWeight: UnsafePointer<Float>, outWidth: Int
    let height: Int, width: Int

    func resize(plane: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
      // The blended rows, then a flag per input row: blended yet or not.
      let scratch = ThreadScratch.floats(height * outWidth + height)
      let blended = scratch, done = scratch + height * outWidth
      done.update(repeating: 0, count: height)
      for y in 0..<outHeight {
        let dst = out + y * outWidth
        for i in y * rowTaps..<(y + 1) * rowTaps where done[rowAt[i]] == 0 {
          blend(row: plane + rowAt[i] * width, into: blended + rowAt[i] * outWidth)
          done[rowAt[i]] = 1
        }
        var x = 0
        while x + 16 <= outWidth {
          var sum = SIMD16<Float>()
          for i in y * rowTaps..<(y + 1) * rowTaps {
            sum += rowWeight[i] * UnsafeRawPointer(blended + rowAt[i] * outWidth + x).loadUnaligned(as: SIMD16<Float>.self)
          }
          UnsafeMutableRawPointer(dst + x).storeBytes(of: sum, as: SIMD16<Float>.self)
          x += 16
        }
        while x < outWidth {
          var sum: Float = 0
          for i in y * rowTaps..<(y + 1) * rowTaps { sum += rowWeight[i] * blended[rowAt[i] * outWidth + x] }
          dst[x] = sum
          x += 1
        }
      }
    }

    /// ``resize(plane:into:)`` in `W_out` floats of scratch: each output row starts at 0 and adds its
    /// taps' rows, each blended as it comes, in the same order (`0 + w_0 b_0 + w_1 b_1 ...`).
    func resizeRowByRow(plane: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
      let blended = ThreadScratch.floats(outWidth)
      for y in 0..<outHeight {
        let dst = out + y * outWidth
        dst.update(repeating: 0, count: outWidth)
        for i in y * rowTaps..<(y + 1) * rowTaps {
          blend(row: plane + rowAt[i] * width, into: blended)
          let w = rowWeight[i]
          var x = 0
          while x + 16 <= outWidth {
            let sum = UnsafeRawPointer(dst + x).loadUnaligned(as: SIMD16<Float>.self)
              + w * UnsafeRawPointer(blended + x).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + x).storeBytes(of: sum, as: SIMD16<Float>.self)
            x += 16
          }
          while x < outWidth {
            dst[x] += w * blended[x]
            x += 1
          }
        }
      }
    }

    /// `blended[x] = Σ_j wx_j · row[column_j]` over output column `x`'s taps, from 0 in order.
    private func blend(row: UnsafePointer<Float>, into blended: UnsafeMutablePointer<Float>) {
      for x in 0..<outWidth {
        var sum: Float = 0
        for j in x * columnTaps..<(x + 1) * columnTaps { sum += columnWeight[j] * row[columnAt[j]] }
        blended[x] = sum
      }
    }
  }
}
