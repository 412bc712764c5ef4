/// Softmax along one per-item axis (``Kernel/softmax(axis:)``).
struct SoftmaxStep: StepKind {
  var axis: Int

  static let tag: UInt8 = 9
  static let name = "softmax"

  func encode(_ w: inout ByteWriter) { w.int(axis) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .softmax(axis: try r.int()) }

  func validate(_ check: StepCheck) throws {
    try check.expect(
      check.step.inputs.count == 1 && check.inCount == check.outCount && axis >= 0 && axis < check.step.output.dims.count,
      "softmax axis or sizes invalid")
  }

  var summary: String { "softmax axis \(axis)" }
}
