/// A transposed convolution (ONNX ConvTranspose) over any number of spatial axes: per-item
/// geometry, weights in the plan's weights, optional bias and a fused activation.
public struct ConvolutionTranspose: Equatable, Sendable {
  /// Shapes and window for one batch item.
  public var geometry: ConvTransposeGeometry
  /// The weights, laid out as ``weightLayout`` says.
  public var weights: WeightRef
  /// `.oihw`: as ONNX gives them, `[C, M/groups, kernel...]`; `.gemmPanels`: each group's
  /// `[M/g * taps, C/g]` matrix in ``GemmPanels`` order (``ConvTransposeGeometry/packedWeights(_:)``).
  public var weightLayout: ConvWeightLayout
  /// One float per output channel.
  public var bias: WeightRef?
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a transposed convolution step's parameters.
  public init(
    geometry: ConvTransposeGeometry, weights: WeightRef, weightLayout: ConvWeightLayout = .oihw, bias: WeightRef?,
    activation: Activation
  ) {
    self.geometry = geometry
    self.weights = weights
    self.weightLayout = weightLayout
    self.bias = bias
    self.activation = activation
  }
}

extension ConvolutionTranspose: StepKind {
  static let tag: UInt8 = 24
  static let name = "conv-transpose"

  func encode(_ w: inout ByteWriter) {
    w.ints(geometry.fileInts)
    w.ints(geometry.padsBegin)
    w.weight(weights)
    w.optionalWeight(bias)
    w.activation(activation)
    w.u8(weightLayout.rawValue)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let ints = try r.ints()
    let geometry = try ConvTransposeGeometry.read(ints, padsBegin: try r.signedInts(limit: 1 << 31), context: r.context)
    do { try geometry.validate() } catch let e as PlanError { throw e.prefixed(r.context) }
    let (weights, bias, activation) = (try r.weight(), try r.optionalWeight(), try r.activation())
    let tag = try r.u8()
    guard let layout = ConvWeightLayout(rawValue: tag), Winograd(layout) == nil else {
      throw PlanError.format("\(r.context): conv-transpose weight layout \(tag) is not as given (0) or GEMM panels (1)")
    }
    return .convTranspose(ConvolutionTranspose(geometry: geometry, weights: weights, weightLayout: layout, bias: bias, activation: activation))
  }

  func validate(_ check: StepCheck) throws {
    let g = geometry, step = check.step
    try check.expectValid(g.validate)
    try check.expect(step.inputs.count == 1, "conv-transpose expects 1 input")
    try check.expect(
      check.inCount == g.inputCountPerItem,
      "input holds \(check.inCount) floats per item, conv-transpose reads \(g.inChannels)x\(PlanDescription.dims(g.inSizes))")
    try check.expect(
      check.outCount == g.outputCountPerItem,
      "output holds \(check.outCount) floats per item, conv-transpose writes \(g.outChannels)x\(PlanDescription.dims(g.outSizes))")
    try check.weights(weights, count: weightLayout == .gemmPanels ? g.packedWeightCount : g.weightCount, "conv-transpose")
    if let b = bias { try check.weights(b, count: g.outChannels, "bias") }
  }

  var summary: String {
    let g = geometry
    func dims(_ v: [Int]) -> String { v.map(String.init).joined(separator: "x") }
    var s = "conv-transpose " + dims(g.kernel) + "/" + (Set(g.strides).count == 1 ? "\(g.strides[0])" : dims(g.strides))
    if g.padsBegin.contains(where: { $0 != 0 }) { s += " pad " + g.padsBegin.map(String.init).joined(separator: ",") }
    if g.dilations.contains(where: { $0 != 1 }) { s += " dil " + dims(g.dilations) }
    s += " \(g.inChannels)→\(g.outChannels) to " + dims(g.outSizes)
    if g.groups > 1 { s += " groups \(g.groups)" }
    if bias == nil { s += " no-bias" }
    if weightLayout == .gemmPanels { s += " packed" }
    return s + PlanDescription.suffix(activation)
  }
}
