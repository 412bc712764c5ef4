import GraphPlan

extension Reference {
  /// Output element `(i0, i1, ...)` of `outShape` is input element `(sources[0][i0], sources[1][i1], ...)`
  /// of a contiguous tensor of `shape` (leading axes of size 1 when its rank is lower), or `fill`
  /// where any source is -1. Each index decomposed on its own.
  public static func indexCopy(
    _ input: UnsafePointer<Float>, shape: [Int], sources: [[Int]], fill: Float, output: UnsafeMutablePointer<Float>
  ) throws {
    guard shape.count <= sources.count else {
      throw ReferenceError("IndexCopy: \(sources.count) axis tables for an input of rank \(shape.count)")
    }
    let padded = Array(repeating: 1, count: sources.count - shape.count) + shape
    for d in padded.indices {
      guard sources[d].allSatisfy({ $0 >= -1 && $0 < padded[d] }) else {
        throw ReferenceError("IndexCopy: axis \(d) reads outside its \(padded[d]) positions")
      }
    }
    let outShape = sources.map(\.count)
    for index in 0..<outShape.reduce(1, *) {
      var rest = index, source = 0, inStride = 1, filled = false
      for d in stride(from: padded.count - 1, through: 0, by: -1) {
        let position = sources[d][rest % outShape[d]]
        rest /= outShape[d]
        if position < 0 { filled = true }
        source += position * inStride
        inStride *= padded[d]
      }
      output[index] = filled ? fill : input[source]
    }
  }
}
