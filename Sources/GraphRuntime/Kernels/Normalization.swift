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
    parallelFor(pool, batch * channels) { plane in
      let n = plane / channels, c = plane % channels
      let image = input + n * channels * spatial
      let squares = UnsafeMutablePointer<Float>.allocate(capacity: max(spatial, 1))
      defer { squares.deallocate() }
      squares.initialize(repeating: 0, count: spatial)
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
    _ input: UnsafePointer<Float>, shape: [Int], axis: Int, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    let outer = shape[..<axis].reduce(1, *), extent = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    parallelFor(pool, outer) { o in
      let x = input + o * extent * inner, y = output + o * extent * inner
      let peak = UnsafeMutablePointer<Float>.allocate(capacity: inner)
      let total = UnsafeMutablePointer<Float>.allocate(capacity: inner)
      defer { peak.deallocate(); total.deallocate() }
      peak.initialize(repeating: -.infinity, count: inner)
      total.initialize(repeating: 0, count: inner)
      for e in 0..<extent {
        let row = x + e * inner
        for i in 0..<inner where row[i] > peak[i] || row[i].isNaN { peak[i] = row[i] }
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

  /// ONNX Transpose of a contiguous tensor of `shape`: output dimension `i` is input
  /// dimension `perm[i]` (a valid permutation, as plan validation ensures). Walks the output
  /// in order with an odometer over its coordinates, moving the input offset by each
  /// dimension's stride instead of dividing every index.
  package static func transpose(
    _ input: UnsafePointer<Float>, shape: [Int], perm: [Int], output: UnsafeMutablePointer<Float>
  ) {
    let rank = shape.count
    let count = shape.reduce(1, *)
    guard rank > 0, count > 0 else {
      if count == 1 { output[0] = input[0] }
      return
    }
    var inputStride = [Int](repeating: 1, count: rank)
    for d in stride(from: rank - 2, through: 0, by: -1) { inputStride[d] = inputStride[d + 1] * shape[d + 1] }
    let extent = perm.map { shape[$0] }, step = perm.map { inputStride[$0] }
    var coordinate = [Int](repeating: 0, count: rank)
    var source = 0
    let last = rank - 1
    var written = 0
    while written < count {
      // The innermost output dimension as one strided run.
      let run = extent[last], s = step[last]
      for i in 0..<run { output[written + i] = input[source + i * s] }
      written += run
      // Carry into the outer dimensions.
      var d = last - 1
      while d >= 0 {
        coordinate[d] += 1
        source += step[d]
        if coordinate[d] < extent[d] { break }
        source -= step[d] * extent[d]
        coordinate[d] = 0
        d -= 1
      }
    }
  }
}
