/// A convolution step: per-item geometry, weights in the plan's weights, and the fused epilogue.
public struct Convolution: Equatable, Sendable {
  /// Shapes and window for one batch item.
  public var geometry: Conv2DGeometry
  /// The weights, laid out as ``weightLayout`` says.
  public var weights: WeightRef
  /// `[M, C/groups, KH, KW]`, packed for the GEMM (``GemmPanels``, per group), or
  /// transformed for Winograd F(4x4, 3x3) or F(2x2, 3x3) (``Winograd``).
  public var weightLayout: ConvWeightLayout
  /// One float per output channel, added before the residual and activation.
  public var bias: WeightRef?
  /// Whether input 1 is a residual to add before the activation.
  public var residual: Bool
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a convolution step's parameters.
  public init(
    geometry: Conv2DGeometry, weights: WeightRef, weightLayout: ConvWeightLayout = .oihw, bias: WeightRef?, residual: Bool,
    activation: Activation
  ) {
    self.geometry = geometry
    self.weights = weights
    self.weightLayout = weightLayout
    self.bias = bias
    self.residual = residual
    self.activation = activation
  }
}

extension Convolution: StepKind {
  static let tag: UInt8 = 1
  static let name = "conv"

  func encode(_ w: inout ByteWriter) {
    w.geometry(geometry, Conv2DGeometry.fileFields)
    w.weight(weights)
    w.optionalWeight(bias)
    w.bool(residual)
    w.activation(activation)
    w.u8(weightLayout.rawValue)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let (geometry, stored) = try r.geometry(Conv2DGeometry.blank, Conv2DGeometry.fileFields, kind: "conv")
    do { try geometry.validate() } catch let e as PlanError { throw e.prefixed(r.context) }
    // The output size is stored for readers of the format; here it must match the geometry.
    let (oh, ow) = (stored[4] ?? -1, stored[5] ?? -1)
    guard geometry.outHeight == oh, geometry.outWidth == ow else {
      throw PlanError.format(
        "\(r.context): conv output \(oh)x\(ow) does not match its geometry (\(geometry.outHeight)x\(geometry.outWidth))")
    }
    let (weights, bias, residual, activation) = (try r.weight(), try r.optionalWeight(), try r.bool(), try r.activation())
    let tag = try r.u8()
    guard let layout = ConvWeightLayout(rawValue: tag) else { throw PlanError.format("\(r.context): unknown conv weight layout \(tag)") }
    return .conv(Convolution(
      geometry: geometry, weights: weights, weightLayout: layout, bias: bias, residual: residual, activation: activation))
  }

  func validate(_ check: StepCheck) throws {
    let g = geometry, step = check.step
    try check.expectValid(g.validate)
    try check.expect(step.inputs.count == (residual ? 2 : 1), "conv expects \(residual ? 2 : 1) inputs")
    try check.expect(
      check.inCount == g.inputCountPerItem,
      "input holds \(check.inCount) floats per item, conv reads \(g.inChannels)x\(g.inHeight)x\(g.inWidth)")
    try check.expect(check.outCount == g.outputCountPerItem, "output size does not match conv")
    if residual { try check.expect(step.inputs[1].itemCount == check.outCount, "residual size does not match output") }
    try check.expectChannelSlice(plane: g.outHeight * g.outWidth)
    switch weightLayout {
    case .oihw:
      try check.weights(weights, count: g.weightCount, "conv")
    case .gemmPanels:
      try check.expect(!g.runsDepthwise, "a depthwise conv's weights are not GEMM panels")
      try check.weights(weights, count: g.packedWeightCount, "conv")
    case .winograd4x4, .winograd2x2:
      try check.expect(Winograd.applies(to: g), "Winograd weights need a 3x3 stride-1 undilated conv with one group")
      try check.weights(weights, count: Winograd(weightLayout)!.weightCount(g), "conv")
    }
    if let b = bias { try check.weights(b, count: g.outChannels, "bias") }
  }

  var summary: String {
    let g = geometry
    var s = "conv " + PlanDescription.window(g.window) + " \(g.inChannels)→\(g.outChannels)"
    if g.groups > 1 { s += g.groups == g.inChannels && g.groups == g.outChannels ? " depthwise" : " groups \(g.groups)" }
    if bias == nil { s += " no-bias" }
    switch weightLayout {
    case .oihw: break
    case .gemmPanels: s += g.runsShifted ? " packed shifted" : " packed"
    case .winograd4x4: s += " winograd"
    case .winograd2x2: s += " winograd 2x2"
    }
    return s + PlanDescription.suffix(activation) + (residual ? " +residual" : "")
  }
}
