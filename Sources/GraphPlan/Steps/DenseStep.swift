/// A fully connected step: `y = activation(W x + b)` per batch item.
public struct Dense: Equatable, Sendable {
  /// Floats read per batch item (K).
  public var inFeatures: Int
  /// Floats written per batch item (N).
  public var outFeatures: Int
  /// [outFeatures, inFeatures] row-major (ONNX Gemm with transB = 1).
  public var weights: WeightRef
  /// One float per output feature, or nil.
  public var bias: WeightRef?
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a dense step's parameters.
  public init(inFeatures: Int, outFeatures: Int, weights: WeightRef, bias: WeightRef?, activation: Activation) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.weights = weights
    self.bias = bias
    self.activation = activation
  }
}

extension Dense: StepKind {
  static let tag: UInt8 = 4
  static let name = "dense"

  func encode(_ w: inout ByteWriter) {
    w.int(inFeatures)
    w.int(outFeatures)
    w.weight(weights)
    w.optionalWeight(bias)
    w.activation(activation)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .dense(Dense(
      inFeatures: try r.int(), outFeatures: try r.int(), weights: try r.weight(), bias: try r.optionalWeight(),
      activation: try r.activation()))
  }

  func validate(_ check: StepCheck) throws {
    try check.expect(inFeatures > 0 && outFeatures > 0, "dense sizes must be positive")
    try check.expect(
      check.step.inputs.count == 1 && check.inCount == inFeatures && check.outCount == outFeatures,
      "dense operand sizes mismatch")
    try check.weights(weights, count: inFeatures * outFeatures, "dense")
    if let b = bias { try check.weights(b, count: outFeatures, "bias") }
  }

  var summary: String {
    "dense \(inFeatures)→\(outFeatures)" + (bias == nil ? " no-bias" : "") + PlanDescription.suffix(activation)
  }
}
