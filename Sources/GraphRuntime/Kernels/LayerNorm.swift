extension Kernels {
  /// Layer normalization of `rows` contiguous rows of `length` floats: `(x - mean) / sqrt(var + ε)
  /// * scale[i] + bias[i]`, the mean summed relative to the row's first value and the variance from
  /// a second pass over the deviations (no cancellation).
  /// Rows are split across the pool; each row's sums run 16 lanes at a time, the same on any
  /// thread count. `output` may equal `input`.
  package static func layerNorm(
    _ input: UnsafePointer<Float>, rows: Int, length: Int, epsilon: Float, scale: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    typealias V = SIMD16<Float>
    let rowsPerChunk = max(1, 8_192 / max(length, 1))
    parallelFor(pool, (rows + rowsPerChunk - 1) / rowsPerChunk, (input, rows, length, epsilon, scale, bias, output, rowsPerChunk)) {
      context, chunk in
      let (input, rows, length, epsilon, scale, bias, output, rowsPerChunk) = context
      let vectorEnd = length / 16 * 16
      for r in (chunk * rowsPerChunk)..<min(rows, (chunk + 1) * rowsPerChunk) {
        let x = UnsafeRawPointer(input + r * length), y = output + r * length
        // Summed relative to the first value: a row far from 0 keeps its low bits.
        let shift = x.load(as: Float.self)
        var lanes = V()
        var i = 0
        while i < vectorEnd { lanes += x.loadUnaligned(fromByteOffset: i * 4, as: V.self) - shift; i += 16 }
        var sum = lanes.sum()
        while i < length { sum += x.load(fromByteOffset: i * 4, as: Float.self) - shift; i += 1 }
        let mean = shift + sum / Float(length)
        lanes = V()
        i = 0
        while i < vectorEnd {
          let d = x.loadUnaligned(fromByteOffset: i * 4, as: V.self) - mean
          lanes += d * d
          i += 16
        }
        var squares = lanes.sum()
        while i < length {
          let d = x.load(fromByteOffset: i * 4, as: Float.self) - mean
          squares += d * d
          i += 1
        }
        let inverse = 1 / (squares / Float(length) + epsilon).squareRoot()
        i = 0
        while i < vectorEnd {
          var v = (x.loadUnaligned(fromByteOffset: i * 4, as: V.self) - mean) * inverse
          v *= UnsafeRawPointer(scale + i).loadUnaligned(as: V.self)
          if let bias { v += UnsafeRawPointer(bias + i).loadUnaligned(as: V.self) }
          UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: V.self)
          i += 16
        }
        while i < length {
          var v = (x.load(fromByteOffset: i * 4, as: Float.self) - mean) * inverse * scale[i]
          if let bias { v += bias[i] }
          y[i] = v
          i += 1
        }
      }
    }
  }
}
