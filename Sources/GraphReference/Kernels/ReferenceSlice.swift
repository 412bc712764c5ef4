import GraphPlan

extension Reference {
  /// A strided window of a contiguous tensor of `shape`: output element `i` along axis `d` is
  /// input element `starts[d] + i * steps[d]`. Each index decomposed on its own.
  public static func slice(
    _ input: UnsafePointer<Float>, shape: [Int], starts: [Int], steps: [Int], outShape: [Int],
    output: UnsafeMutablePointer<Float>
  ) throws {
    guard starts.count == shape.count, steps.count == shape.count, outShape.count == shape.count else {
      throw ReferenceError("Slice: ranks of shape \(shape), starts \(starts), steps \(steps), output \(outShape) differ")
    }
    for d in shape.indices where outShape[d] > 0 {
      let last = starts[d] + (outShape[d] - 1) * steps[d]
      guard (0..<shape[d]).contains(starts[d]), (0..<shape[d]).contains(last) else {
        throw ReferenceError("Slice: axis \(d) reads \(starts[d])...\(last) of \(shape[d])")
      }
    }
    var inStride = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { inStride[d] = inStride[d + 1] * shape[d + 1] }
    for index in 0..<outShape.reduce(1, *) {
      var rest = index, source = 0
      for d in stride(from: shape.count - 1, through: 0, by: -1) {
        let coord = rest % outShape[d]
        rest /= outShape[d]
        source += (starts[d] + coord * steps[d]) * inStride[d]
      }
      output[index] = input[source]
    }
  }
}
