import GraphPlan

/// Where each output element of an index-copy step reads (``Kernel/indexCopy(sources:fill:)``):
/// per output axis, the input offset of each position (its source index times the input's stride),
/// or -1 for the fill value. Depends on the shapes alone, so a session works it out once per step
/// when the model loads.
package struct AxisOffsets: Sendable {
  let extents: [Int]
  /// The axes' offset tables laid end to end (axis `d`'s starts at the sum of the earlier extents).
  let offsets: [Int]
  let fill: Float

  /// Tables for an input of `inputShape` (leading axes of size 1 when its rank is lower).
  package init(inputShape: [Int], sources: [[Int]], fill: Float) {
    let padded = Array(repeating: 1, count: sources.count - inputShape.count) + inputShape
    let strides = StridedGather.rowMajorStrides(padded)
    extents = sources.map(\.count)
    offsets = zip(sources, strides).flatMap { positions, stride in positions.map { $0 < 0 ? -1 : $0 * stride } }
    self.fill = fill
  }
}

extension Kernels {
  /// Writes `output` in order, each element read through `layout`'s tables. Walks the outer output
  /// axes with an odometer (on the stack), summing their offsets once per innermost run; a run whose
  /// outer positions include a fill one is all fill.
  package static func indexCopy(_ input: UnsafePointer<Float>, _ layout: AxisOffsets, output: UnsafeMutablePointer<Float>) {
    let extents = layout.extents, fill = layout.fill
    let rank = extents.count
    var count = 1
    for e in extents { count *= e }
    guard count > 0 else { return }
    guard rank > 0 else {
      output[0] = input[0]
      return
    }
    layout.offsets.withUnsafeBufferPointer { offsets in
      withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * rank) { scratch in
        // scratch[0..<rank]: the coordinate; scratch[rank...]: where each axis's table starts.
        scratch.initialize(repeating: 0)
        for d in 1..<rank { scratch[rank + d] = scratch[rank + d - 1] + extents[d - 1] }
        let last = rank - 1, run = extents[last]
        let inner = offsets.baseAddress! + scratch[rank + last]
        var written = 0
        while written < count {
          var base = 0, filled = false
          for d in 0..<last {
            let o = offsets[scratch[rank + d] + scratch[d]]
            if o < 0 { filled = true }
            base += o
          }
          let out = output + written
          if filled {
            out.update(repeating: fill, count: run)
          } else {
            let source = input + base
            for i in 0..<run {
              let o = inner[i]
              out[i] = o < 0 ? fill : source[o]
            }
          }
          written += run
          var d = last - 1
          while d >= 0 {
            scratch[d] += 1
            if scratch[d] < extents[d] { break }
            scratch[d] = 0
            d -= 1
          }
        }
      }
    }
  }
}
