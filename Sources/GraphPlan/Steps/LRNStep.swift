/// Local response normalization across channels (``Kernel/lrn(size:alpha:beta:bias:)``).
struct LRNStep: StepKind {
  var size: Int
  var alpha: Float
  var beta: Float
  var bias: Float

  static let tag: UInt8 = 8
  static let name = "lrn"

  func encode(_ w: inout ByteWriter) {
    w.int(size)
    w.float(alpha)
    w.float(beta)
    w.float(bias)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .lrn(size: try r.int(), alpha: try r.float(), beta: try r.float(), bias: try r.float())
  }

  func validate(_ check: StepCheck) throws {
    try check.expect(
      size > 0 && check.step.inputs.count == 1 && check.inCount == check.outCount && check.step.output.dims.count >= 1,
      "LRN operands mismatch")
  }

  var summary: String {
    let n = PlanDescription.number
    return "lrn size \(size) α \(n(alpha)) β \(n(beta)) k \(n(bias))"
  }
}
