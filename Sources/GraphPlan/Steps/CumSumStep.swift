/// Running sums along one per-item axis (``Kernel/cumSum(axis:exclusive:reverse:)``; ONNX
/// CumSum): output element `i` along the axis is the sum of the input's elements `0...i`
/// (`0..<i` when exclusive; from the end when reversed), added in that order.
struct CumSumStep: StepKind {
  var axis: Int
  var exclusive: Bool
  var reverse: Bool

  static let tag: UInt8 = 29
  static let name = "cumsum"

  func encode(_ w: inout ByteWriter) {
    w.int(axis)
    w.bool(exclusive)
    w.bool(reverse)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .cumSum(axis: try r.int(), exclusive: try r.bool(), reverse: try r.bool())
  }

  func validate(_ check: StepCheck) throws {
    try check.expect(
      check.step.inputs.count == 1 && check.inCount == check.outCount && axis >= 0 && axis < check.step.output.dims.count,
      "cumsum axis or sizes invalid")
  }

  var summary: String { "cumsum axis \(axis)\(exclusive ? " exclusive" : "")\(reverse ? " reverse" : "")" }
}
