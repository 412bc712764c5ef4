import GraphPlan

/// Which input element each output element of a Transpose or Slice reads: output element
/// `(i0, i1, ...)` reads `input[offset + Σ i_d * strides[d]]`. Depends on the shapes alone, so a
/// session works it out once per step when the model loads (the arrays would otherwise be
/// allocated on every run).
package struct StridedGather: Sendable {
  /// The first element read, and the output's extents with the input stride along each (may be negative).
  let offset: Int, extents: [Int], strides: [Int]

  /// ONNX Transpose of a contiguous tensor of `shape`: output dimension `i` is input
  /// dimension `perm[i]` (a valid permutation, as plan validation ensures).
  package init(transposing shape: [Int], perm: [Int]) {
    let strides = Self.rowMajorStrides(shape)
    (offset, extents, self.strides) = (0, perm.map { shape[$0] }, perm.map { strides[$0] })
  }

  /// A strided window of a contiguous tensor of `shape`: output element `i` along axis `d` is input
  /// element `starts[d] + i * steps[d]` (in range, as plan validation ensures).
  package init(slicing shape: [Int], starts: [Int], steps: [Int], outShape: [Int]) {
    let strides = Self.rowMajorStrides(shape)
    offset = zip(starts, strides).map(*).reduce(0, +)
    // An axis of one element never steps, and its step may be anything (validation bounds only
    // the steps that are taken).
    (extents, self.strides) = (outShape, outShape.indices.map { outShape[$0] == 1 ? 0 : steps[$0] * strides[$0] })
  }

  static func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
    return strides
  }
}

extension Kernels {
  /// ONNX Transpose of a contiguous tensor of `shape` (see ``StridedGather/init(transposing:perm:)``).
  package static func transpose(
    _ input: UnsafePointer<Float>, shape: [Int], perm: [Int], output: UnsafeMutablePointer<Float>
  ) {
    gather(input, StridedGather(transposing: shape, perm: perm), output: output)
  }

  /// A strided window of a contiguous tensor of `shape` (see ``StridedGather/init(slicing:starts:steps:outShape:)``).
  package static func slice(
    _ input: UnsafePointer<Float>, shape: [Int], starts: [Int], steps: [Int], outShape: [Int],
    output: UnsafeMutablePointer<Float>
  ) {
    gather(input, StridedGather(slicing: shape, starts: starts, steps: steps, outShape: outShape), output: output)
  }

  /// Writes `output` in order, each element read where `layout` says. Walks the output with an
  /// odometer over its coordinates (on the stack), moving the input offset by each dimension's
  /// stride instead of dividing every index; a unit-stride innermost run is one block copy.
  package static func gather(_ input: UnsafePointer<Float>, _ layout: StridedGather, output: UnsafeMutablePointer<Float>) {
    let input = input + layout.offset
    let (extents, strides) = (layout.extents, layout.strides)
    let rank = extents.count
    var count = 1
    for e in extents { count *= e }
    guard rank > 0, count > 0 else {
      if count == 1 { output[0] = input[0] }
      return
    }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rank) { coordinate in
      coordinate.initialize(repeating: 0)
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
}
