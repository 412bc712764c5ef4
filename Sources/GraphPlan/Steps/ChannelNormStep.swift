/// Layer normalization across the channels of each position (``Kernel/channelNorm(epsilon:scale:bias:)``):
/// per item `[C, spatial...]`, the `C` values at each position are normalized to mean 0 and variance 1,
/// then scaled and shifted per channel. (ConvNeXt's LayerNorm over the channel axis, run in NCHW.)
struct ChannelNormStep: StepKind {
  var epsilon: Float
  var scale: WeightRef
  var bias: WeightRef?

  static let tag: UInt8 = 14
  static let name = "channel-norm"

  func encode(_ w: inout ByteWriter) {
    w.float(epsilon)
    w.weight(scale)
    w.optionalWeight(bias)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .channelNorm(epsilon: try r.float(), scale: try r.weight(), bias: try r.optionalWeight())
  }

  func validate(_ check: StepCheck) throws {
    let dims = check.step.output.dims
    try check.expect(
      check.step.inputs.count == 1 && check.inCount == check.outCount && dims.count >= 1 && dims[0] > 0 && epsilon >= 0,
      "channel norm sizes invalid")
    try check.weights(scale, count: dims[0], "scale")
    if let bias { try check.weights(bias, count: dims[0], "bias") }
  }

  var summary: String {
    "channel-norm ε \(PlanDescription.number(epsilon))" + (bias == nil ? " no-bias" : "")
  }
}
