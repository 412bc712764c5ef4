import GraphPlan

extension Kernels {
  /// ONNX Transpose of a contiguous tensor of `shape`: output dimension `i` is input
  /// dimension `perm[i]` (a valid permutation, as plan validation ensures).
  package static func transpose(
    _ input: UnsafePointer<Float>, shape: [Int], perm: [Int], output: UnsafeMutablePointer<Float>
  ) {
    let strides = rowMajorStrides(shape)
    gather(input, extents: perm.map { shape[$0] }, strides: perm.map { strides[$0] }, output: output)
  }

  /// A strided window of a contiguous tensor of `shape`: output element `i` along axis `d` is input
  /// element `starts[d] + i * steps[d]` (in range, as plan validation ensures).
  package static func slice(
    _ input: UnsafePointer<Float>, shape: [Int], starts: [Int], steps: [Int], outShape: [Int],
    output: UnsafeMutablePointer<Float>
  ) {
    let strides = rowMajorStrides(shape)
    let base = zip(starts, strides).map(*).reduce(0, +)
    gather(input + base, extents: outShape, strides: zip(steps, strides).map(*), output: output)
  }

  static func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
    return strides
  }

  /// Writes `output` in order, element `(i0, i1, ...)` read from `input[Σ i_d * strides[d]]` (strides
  /// may be negative). Walks the output with an odometer over its coordinates, moving the input
  /// offset by each dimension's stride instead of dividing every index; a unit-stride innermost run
  /// is one block copy.
  static func gather(
    _ input: UnsafePointer<Float>, extents: [Int], strides: [Int], output: UnsafeMutablePointer<Float>
  ) {
    let rank = extents.count
    let count = extents.reduce(1, *)
    guard rank > 0, count > 0 else {
      if count == 1 { output[0] = input[0] }
      return
    }
    var coordinate = [Int](repeating: 0, count: rank)
    var source = 0
    let last = rank - 1
    var written = 0
    let run = extents[last], s = strides[last]
    while written < count {
      // The innermost output dimension as one strided run.
      if s == 1 {
        (output + written).update(from: input + source, count: run)
      } else {
        for i in 0..<run { output[written + i] = input[source + i * s] }
      }
      written += run
      // Carry into the outer dimensions.
      var d = last - 1
      while d >= 0 {
        coordinate[d] += 1
        source += strides[d]
        if coordinate[d] < extents[d] { break }
        source -= strides[d] * extents[d]
        coordinate[d] = 0
        d -= 1
      }
    }
  }
}
