import GraphPlan

extension Reference {
  /// Linear resize of a contiguous tensor of `shape`, one ``LinearAxis`` per axis (an axis left
  /// alone is `LinearAxis(identity:)`): each output element blends, axis by axis from the first,
  /// `(1 - w) * low + w * high` of the blends along the later axes. Each index decomposed on its own.
  public static func resizeLinear(_ input: UnsafePointer<Float>, shape: [Int], axes: [LinearAxis], output: UnsafeMutablePointer<Float>) {
    precondition(axes.count == shape.count, "one table per axis")
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
    let outShape = axes.map(\.count)
    func blend(_ d: Int, _ coordinate: [Int], _ base: Int) -> Float {
      if d == shape.count { return input[base] }
      let (axis, i) = (axes[d], coordinate[d])
      let low = blend(d + 1, coordinate, base + axis.low[i] * strides[d])
      let high = blend(d + 1, coordinate, base + axis.high[i] * strides[d])
      return (1 - axis.weights[i]) * low + axis.weights[i] * high
    }
    for index in 0..<outShape.reduce(1, *) {
      var rest = index, coordinate = [Int](repeating: 0, count: shape.count)
      for d in stride(from: shape.count - 1, through: 0, by: -1) {
        coordinate[d] = rest % outShape[d]
        rest /= outShape[d]
      }
      output[index] = blend(0, coordinate, 0)
    }
  }
}
