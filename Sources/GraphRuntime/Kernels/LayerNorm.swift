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

extension Kernels {
  /// Layer normalization across the channels of each position, over `items` items of
  /// `[channels, spatial]` (NCHW): at each position, `(x[c] - mean) / sqrt(var + ε) * scale[c] +
  /// bias[c]`, the statistics over `c`. Sixteen positions at a time, one per lane (contiguous in
  /// NCHW), with the channels in a loop; as in ``layerNorm(_:rows:length:epsilon:scale:bias:output:pool:)``
  /// the mean is summed relative to the first channel's value and the variance from the deviations.
  /// A lane's arithmetic does not depend on its neighbours, so the result is the same for any split
  /// over threads; the last, partial group runs as a zero-padded vector. `output` may equal `input`.
  package static func channelNorm(
    _ input: UnsafePointer<Float>, items: Int, channels: Int, spatial: Int, epsilon: Float, scale: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    typealias V = SIMD16<Float>
    let groups = (spatial + 15) / 16
    // About 16 K floats per task.
    let groupsPerTask = max(1, 1_024 / max(channels, 1))
    let tasksPerItem = (groups + groupsPerTask - 1) / groupsPerTask
    parallelFor(
      pool, items * tasksPerItem, (input, channels, spatial, epsilon, scale, bias, output, groups, groupsPerTask, tasksPerItem)
    ) { context, task in
      let (input, channels, spatial, epsilon, scale, bias, output, groups, groupsPerTask, tasksPerItem) = context
      let item = task / tasksPerItem, first = (task % tasksPerItem) * groupsPerTask
      let x = input + item * channels * spatial, y = output + item * channels * spatial
      for group in first..<min(groups, first + groupsPerTask) {
        let s = group * 16, width = min(16, spatial - s)
        @inline(__always) func load(_ c: Int) -> V {
          width == 16 ? UnsafeRawPointer(x + c * spatial + s).loadUnaligned(as: V.self) : VectorMath.load(x + c * spatial + s, count: width)
        }
        let shift = load(0)
        var sum = V()
        for c in 0..<channels { sum += load(c) - shift }
        let mean = shift + sum / V(repeating: Float(channels))
        var squares = V()
        for c in 0..<channels {
          let d = load(c) - mean
          squares += d * d
        }
        let inverse = 1 / (squares / V(repeating: Float(channels)) + epsilon).squareRoot()
        for c in 0..<channels {
          var v = (load(c) - mean) * inverse * scale[c]
          if let bias { v += bias[c] }
          if width == 16 {
            UnsafeMutableRawPointer(y + c * spatial + s).storeBytes(of: v, as: V.self)
          } else {
            VectorMath.store(v, y + c * spatial + s, count: width)
          }
        }
      }
    }
  }
}
