/// An element-wise activation of input 0 (``Kernel/activation(_:)``).
struct ActivationStep: StepKind {
  var activation: Activation

  static let tag: UInt8 = 7
  static let name = "activation"

  func encode(_ w: inout ByteWriter) { w.activation(activation) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .activation(try r.activation()) }

  func validate(_ check: StepCheck) throws {
    try check.expect(check.step.inputs.count == 1 && check.inCount == check.outCount, "operand sizes mismatch")
  }

  var summary: String {
    let s = PlanDescription.suffix(activation)
    return s.isEmpty ? "identity" : String(s.dropFirst())
  }
}
