import GraphPlan

extension Kernels {
  /// Bilinear resize of each `[H, W]` plane of a contiguous tensor of `inputDims` (the last two
  /// axes; a rank-1 input is one row): output `(y, x)` blends the input rows `rows.low[y]` and
  /// `rows.high[y]` and, in each, the columns `columns.low[x]` and `columns.high[x]`, in the order
  /// `Reference.resizeLinear` sums them.
  package static func resizeLinear(
    _ input: UnsafePointer<Float>, inputDims: [Int], rows: LinearAxis, columns: LinearAxis, output: UnsafeMutablePointer<Float>
  ) {
    let (outer, height, width) = LinearAxis.planes(inputDims)
    let (outHeight, outWidth) = (rows.count, columns.count)
    rows.low.withUnsafeBufferPointer { rowLow in
      rows.high.withUnsafeBufferPointer { rowHigh in
        rows.weights.withUnsafeBufferPointer { rowWeight in
          columns.low.withUnsafeBufferPointer { colLow in
            columns.high.withUnsafeBufferPointer { colHigh in
              columns.weights.withUnsafeBufferPointer { colWeight in
                for p in 0..<outer {
                  let plane = input + p * height * width
                  var out = output + p * outHeight * outWidth
                  for y in 0..<outHeight {
                    let top = plane + rowLow[y] * width, bottom = plane + rowHigh[y] * width
                    let wy = rowWeight[y]
                    for x in 0..<outWidth {
                      let (l, h, wx) = (colLow[x], colHigh[x], colWeight[x])
                      let upper = (1 - wx) * top[l] + wx * top[h]
                      let lower = (1 - wx) * bottom[l] + wx * bottom[h]
                      out[x] = (1 - wy) * upper + wy * lower
                    }
                    out += outWidth
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
