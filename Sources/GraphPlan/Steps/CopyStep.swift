/// Copies input 0 into the output view (``Kernel/copy``).
struct CopyStep: StepKind {
  static let tag: UInt8 = 11
  static let name = "copy"

  func encode(_ w: inout ByteWriter) {}

  static func decode(_ r: inout ByteReader) throws -> Kernel { .copy }

  func validate(_ check: StepCheck) throws {
    try check.expect(check.step.inputs.count == 1 && check.inCount == check.outCount, "operand sizes mismatch")
  }

  var summary: String { "copy" }
}
