import GraphPlan

extension Kernels {
  /// Separable resize of each `[H, W]` plane of a contiguous tensor of `inputDims` (the last two
  /// axes; a rank-1 input is one row): output `(y, x)` is `Σ_i wy_i · Σ_j wx_j · in[row_i, column_j]`
  /// over the taps of `rows[y]` and `columns[x]`, in the order `Reference.resize` sums them.
  package static func resize(
    _ input: UnsafePointer<Float>, inputDims: [Int], rows: ResizeAxis, columns: ResizeAxis, output: UnsafeMutablePointer<Float>
  ) {
    let (outer, height, width) = ResizeAxis.planes(inputDims)
    let (outHeight, outWidth) = (rows.count, columns.count)
    let (rowTaps, columnTaps) = (rows.taps, columns.taps)
    rows.positions.withUnsafeBufferPointer { rowAt in
      rows.weights.withUnsafeBufferPointer { rowWeight in
        columns.positions.withUnsafeBufferPointer { columnAt in
          columns.weights.withUnsafeBufferPointer { columnWeight in
            for p in 0..<outer {
              let plane = input + p * height * width
              var out = output + p * outHeight * outWidth
              for y in 0..<outHeight {
                for x in 0..<outWidth {
                  var sum: Float = 0
                  for i in y * rowTaps..<(y + 1) * rowTaps {
                    let row = plane + rowAt[i] * width
                    var blend: Float = 0
                    for j in x * columnTaps..<(x + 1) * columnTaps { blend += columnWeight[j] * row[columnAt[j]] }
                    sum += rowWeight[i] * blend
                  }
                  out[x] = sum
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
