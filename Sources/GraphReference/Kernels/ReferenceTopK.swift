extension Reference {
  /// The `k` largest (or smallest) of `values` with their indices, as ONNX's reference sorts them:
  /// every index ordered by value, ties by index, NaN above every number (numpy's order).
  public static func topK(_ values: [Float], k: Int, largest: Bool) -> (values: [Float], indices: [Int]) {
    let order = values.indices.sorted { i, j in
      let (a, b) = (values[i], values[j])
      if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? i < j : a.isNaN == largest }
      return a == b ? i < j : (largest ? a > b : a < b)
    }
    let top = Array(order.prefix(k))
    return (top.map { values[$0] }, top)
  }

  /// ``topK(_:k:largest:)`` of each of `rows` rows of `length` floats: the values, or the indices as floats.
  public static func topKRows(
    rows: Int, length: Int, k: Int, largest: Bool, indices: Bool, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let top = topK(Array(UnsafeBufferPointer(start: input + r * length, count: length)), k: k, largest: largest)
      for i in 0..<k { output[r * k + i] = indices ? Float(top.indices[i]) : top.values[i] }
    }
  }
}
