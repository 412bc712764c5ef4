import GraphPlan

extension Reference {
  /// ONNX Transpose for ranks up to 6: output dimension `i` is input dimension `perm[i]`.
  /// Returns the output shape.
  @discardableResult
  public static func transpose(
    _ input: UnsafePointer<Float>, shape: [Int], perm: [Int], output: UnsafeMutablePointer<Float>
  ) throws -> [Int] {
    guard shape.count <= 6, perm.count == shape.count, perm.sorted() == Array(0..<shape.count) else {
      throw ReferenceError("Transpose: perm \(perm) is not a permutation for shape \(shape)")
    }
    var inStrides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
    let outShape = perm.map { shape[$0] }
    let count = shape.reduce(1, *)
    for index in 0..<count {
      var rest = index, source = 0
      for d in stride(from: outShape.count - 1, through: 0, by: -1) {
        let coord = rest % outShape[d]
        rest /= outShape[d]
        source += coord * inStrides[perm[d]]
      }
      output[index] = input[source]
    }
    return outShape
  }
}
