/// LogSoftmax along one per-item axis (``Kernel/logSoftmax(axis:)``): the softmax kernel's
/// passes, ending in `x - max - log Σ e^(x - max)` rather than a division.
struct LogSoftmaxStep: StepKind {
  var axis: Int

  static let tag: UInt8 = 23
  static let name = "log-softmax"

  func encode(_ w: inout ByteWriter) { w.int(axis) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .logSoftmax(axis: try r.int()) }

  func validate(_ check: StepCheck) throws { try SoftmaxStep(axis: axis).validate(check) }

  var summary: String { "log-softmax axis \(axis)" }
}
