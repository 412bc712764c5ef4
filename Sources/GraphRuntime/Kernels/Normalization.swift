#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
  /// ONNX LRN across channels over `[batch, channels, spatial]`, threads over output planes:
  /// `y = x / (bias + alpha / size * sum(x[c']^2))^beta` for `c'` from `c - floor((size-1)/2)`
  /// to `c + ceil((size-1)/2)`, clipped to the channels. Each plane sums whole neighbouring
  /// planes of squares row by row (the inner loop runs along contiguous memory).
  package static func lrn(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    size: Int, alpha: Float, beta: Float, bias: Float, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    let below = (size - 1) / 2, above = size / 2
    let scale = alpha / Float(size)
    parallelFor(pool, batch * channels, (input, channels, spatial, below, above, scale, bias, beta, output)) { context, plane in
      let (input, channels, spatial, below, above, scale, bias, beta, output) = context
      let n = plane / channels, c = plane % channels
      let image = input + n * channels * spatial
      let squares = ThreadScratch.floats(spatial)
      squares.update(repeating: 0, count: spatial)
      for neighbour in max(0, c - below)...min(channels - 1, c + above) {
        let x = image + neighbour * spatial
        for i in 0..<spatial { squares[i] += x[i] * x[i] }
      }
      let x = image + c * spatial, y = output + plane * spatial
      for i in 0..<spatial { y[i] = x[i] / powf(bias + scale * squares[i], beta) }
    }
  }

  /// ONNX Softmax along axis `axis` (already non-negative) of a contiguous tensor of `shape`,
  /// max subtracted first. Threads over the dimensions before the axis; the dimensions after
  /// it are handled as whole rows so the loops run along contiguous memory.
  package static func softmax(
    _ input: UnsafePointer<Float>, shape: [Int], axis: Int, log: Bool = false, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil
  ) {
    let outer = shape[..<axis].reduce(1, *), extent = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    parallelFor(pool, outer, (input, extent, inner, log, output)) { context, o in
      let (input, extent, inner, log, output) = context
      let x = input + o * extent * inner, y = output + o * extent * inner
      let peak = ThreadScratch.floats(2 * inner), total = peak + inner
      peak.update(repeating: -.infinity, count: inner)
      total.update(repeating: 0, count: inner)
      for e in 0..<extent {
        let row = x + e * inner
        for i in 0..<inner where row[i] > peak[i] || row[i].isNaN { peak[i] = row[i] }
      }
      if log {
        // LogSoftmax: `x - max - log Σ e^(x - max)`, never through a probability that could underflow.
        for e in 0..<extent {
          let row = x + e * inner
          for i in 0..<inner { total[i] += expf(row[i] - peak[i]) }
        }
        for i in 0..<inner { peak[i] += logf(total[i]) }
        for e in 0..<extent {
          let row = x + e * inner, out = y + e * inner
          for i in 0..<inner { out[i] = row[i] - peak[i] }
        }
        return
      }
      for e in 0..<extent {
        let row = x + e * inner, out = y + e * inner
        for i in 0..<inner {
          out[i] = expf(row[i] - peak[i])
          total[i] += out[i]
        }
      }
      for e in 0..<extent {
        let out = y + e * inner
        for i in 0..<inner { out[i] /= total[i] }
      }
    }
  }
}
