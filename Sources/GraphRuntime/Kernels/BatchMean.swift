extension Kernels {
  /// The mean of `items` rows of `count` floats (`row(n)` is row `n`) into `output`: summed in
  /// item order, then divided (plain loops over contiguous floats, which the compiler vectorizes).
  static func batchMean(items: Int, count: Int, row: (Int) -> UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    output.update(from: row(0), count: count)
    for n in 1..<max(items, 1) {
      let x = row(n)
      for i in 0..<count { output[i] += x[i] }
    }
    let divisor = Float(items)
    for i in 0..<count { output[i] /= divisor }
  }
}
