/// A convolution over three or more spatial axes (1-D and 2-D ones are ``Convolution``s):
/// per-item geometry, weights in the plan's weights, and the fused epilogue.
public struct ConvolutionND: Equatable, Sendable {
  /// Shapes and window for one batch item.
  public var geometry: ConvNDGeometry
  /// The weights, laid out as ``weightLayout`` says.
  public var weights: WeightRef
  /// `[M, C/groups, kernel...]` (``ConvWeightLayout/oihw``), or each group's
  /// `[M/g, C/g * taps]` matrix in ``GemmPanels`` order (``ConvWeightLayout/gemmPanels``).
  public var weightLayout: ConvWeightLayout
  /// One float per output channel, added before the residual and activation.
  public var bias: WeightRef?
  /// Whether input 1 is a residual to add before the activation.
  public var residual: Bool
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates an N-D convolution step's parameters.
  public init(
    geometry: ConvNDGeometry, weights: WeightRef, weightLayout: ConvWeightLayout = .oihw, bias: WeightRef?, residual: Bool,
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

extension ConvolutionND: StepKind {
  static let tag: UInt8 = 20
  static let name = "conv-nd"

  func encode(_ w: inout ByteWriter) {
    w.ints(geometry.fileInts)
    w.weight(weights)
    w.optionalWeight(bias)
    w.bool(residual)
    w.activation(activation)
    w.u8(weightLayout.rawValue)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let (geometry, stored) = try ConvNDGeometry.read(try r.ints(), context: r.context)
    do { try geometry.validate() } catch let e as PlanError { throw e.prefixed(r.context) }
    // The output sizes are stored for readers of the format; here they must match the geometry.
    guard geometry.outSizes == stored else {
      throw PlanError.format("\(r.context): conv-nd output \(stored) does not match its geometry (\(geometry.outSizes))")
    }
    let (weights, bias, residual, activation) = (try r.weight(), try r.optionalWeight(), try r.bool(), try r.activation())
    let tag = try r.u8()
    guard let layout = ConvWeightLayout(rawValue: tag), Winograd(layout) == nil else {
      throw PlanError.format("\(r.context): conv-nd weight layout \(tag) is not oihw (0) or GEMM panels (1)")
    }
    return .convND(ConvolutionND(
      geometry: geometry, weights: weights, weightLayout: layout, bias: bias, residual: residual, activation: activation))
  }

  func validate(_ check: StepCheck) throws {
    let g = geometry, step = check.step
    try check.expectValid(g.validate)
    try check.expect(step.inputs.count == (residual ? 2 : 1), "conv-nd expects \(residual ? 2 : 1) inputs")
    try check.expect(
      check.inCount == g.inputCountPerItem,
      "input holds \(check.inCount) floats per item, conv-nd reads \(g.inChannels)x\(PlanDescription.dims(g.inSizes))")
    try check.expect(check.outCount == g.outputCountPerItem, "output size does not match conv-nd")
    if residual { try check.expect(step.inputs[1].itemCount == check.outCount, "residual size does not match output") }
    try check.expectChannelSlice(plane: g.outVolume)
    try check.weights(weights, count: weightLayout == .gemmPanels ? g.packedWeightCount : g.weightCount, "conv-nd")
    if let b = bias { try check.weights(b, count: g.outChannels, "bias") }
  }

  var summary: String {
    let g = geometry
    var s = "conv " + g.window.summary + " \(g.inChannels)→\(g.outChannels)"
    if g.groups > 1 { s += " groups \(g.groups)" }
    if bias == nil { s += " no-bias" }
    if weightLayout == .gemmPanels { s += " packed" }
    return s + PlanDescription.suffix(activation) + (residual ? " +residual" : "")
  }
}
