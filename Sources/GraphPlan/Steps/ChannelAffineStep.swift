/// Per-channel `x * scale[c] + shift[c]`, then an activation (``Kernel/channelAffine(scale:shift:activation:)``).
struct ChannelAffineStep: StepKind {
  var scale: WeightRef
  var shift: WeightRef
  var activation: Activation

  static let tag: UInt8 = 6
  static let name = "channel-affine"

  func encode(_ w: inout ByteWriter) {
    w.weight(scale)
    w.weight(shift)
    w.activation(activation)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .channelAffine(scale: try r.weight(), shift: try r.weight(), activation: try r.activation())
  }

  func validate(_ check: StepCheck) throws {
    let out = check.step.output
    try check.expect(
      check.step.inputs.count == 1 && check.inCount == check.outCount && !out.dims.isEmpty, "channel affine size mismatch")
    try check.weights(scale, count: out.dims[0], "scale")
    try check.weights(shift, count: out.dims[0], "shift")
  }

  var summary: String { "channel-affine ×\(scale.count)" + PlanDescription.suffix(activation) }
}
