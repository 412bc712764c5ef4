import GraphPlan

extension Reference {
  /// Resize of a contiguous tensor of `shape`, one ``ResizeAxis`` per axis (an axis left alone is
  /// `ResizeAxis(identity:)`): each output element sums, axis by axis from the first, `weight * blend`
  /// over the axis's taps of the blends along the later axes. Each index decomposed on its own.
  public static func resize(_ input: UnsafePointer<Float>, shape: [Int], axes: [ResizeAxis], output: UnsafeMutablePointer<Float>) {
    precondition(axes.count == shape.count, "one table per axis")
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
    let outShape = axes.map(\.count)
    func blend(_ d: Int, _ coordinate: [Int], _ base: Int) -> Float {
      if d == shape.count { return input[base] }
      let (axis, i) = (axes[d], coordinate[d])
      var sum: Float = 0
      for k in i * axis.taps..<(i + 1) * axis.taps {
        sum += axis.weights[k] * blend(d + 1, coordinate, base + axis.positions[k] * strides[d])
      }
      return sum
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
