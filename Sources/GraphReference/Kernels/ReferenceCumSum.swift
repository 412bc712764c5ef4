extension Reference {
  /// ONNX CumSum along `axis` of a row-major tensor of `shape`: output element `i` along the
  /// axis is the sum of the input's elements `0...i` (`0..<i` when `exclusive`, so the first is
  /// 0), or of `i..<extent` (`i + 1..<extent`) when `reverse`, added one element at a time
  /// from the start of the sum. `output` may be `input`.
  public static func cumSum(
    _ input: UnsafePointer<Float>, shape: [Int], axis: Int, exclusive: Bool, reverse: Bool, output: UnsafeMutablePointer<Float>
  ) {
    let outer = shape[..<axis].reduce(1, *), extent = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    for o in 0..<outer {
      for i in 0..<inner {
        let base = o * extent * inner + i
        var sum: Float = 0
        for step in 0..<extent {
          let index = base + (reverse ? extent - 1 - step : step) * inner
          let x = input[index]  // read first: `output` may be `input`
          if exclusive {
            output[index] = sum
            sum += x
          } else {
            sum += x
            output[index] = sum
          }
        }
      }
    }
  }
}
