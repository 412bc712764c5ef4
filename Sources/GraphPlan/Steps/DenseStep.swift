/// A fully connected step: `y = activation(W x + b)` for each of `rows` rows of every batch item.
public struct Dense: Equatable, Sendable {
  /// Floats read per row (K).
  public var inFeatures: Int
  /// Floats written per row (N).
  public var outFeatures: Int
  /// Rows per batch item: 1 for `[batch, K]`, `H * W` for a MatMul on `[batch, H, W, K]`.
  public var rows: Int
  /// [outFeatures, inFeatures] row-major (ONNX Gemm with transB = 1).
  public var weights: WeightRef
  /// One float per output feature, or nil.
  public var bias: WeightRef?
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a dense step's parameters.
  public init(inFeatures: Int, outFeatures: Int, rows: Int = 1, weights: WeightRef, bias: WeightRef?, activation: Activation) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.rows = rows
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
    w.int(rows)
    w.weight(weights)
    w.optionalWeight(bias)
    w.activation(activation)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .dense(Dense(
      inFeatures: try r.int(), outFeatures: try r.int(), rows: try r.int(), weights: try r.weight(), bias: try r.optionalWeight(),
      activation: try r.activation()))
  }

  func validate(_ check: StepCheck) throws {
    try check.expect(inFeatures > 0 && outFeatures > 0 && rows > 0, "dense sizes must be positive")
    let (inRows, outRows) = (rows.multipliedReportingOverflow(by: inFeatures), rows.multipliedReportingOverflow(by: outFeatures))
    try check.expect(
      check.step.inputs.count == 1 && !inRows.overflow && !outRows.overflow && check.inCount == inRows.partialValue
        && check.outCount == outRows.partialValue,
      "dense operand sizes mismatch")
    // Both sizes fit the arena, but their product need not fit an Int.
    let (weightCount, weightOverflow) = inFeatures.multipliedReportingOverflow(by: outFeatures)
    try check.expect(!weightOverflow, "dense weights \(outFeatures)x\(inFeatures) exceed any plan's weights")
    try check.weights(weights, count: weightCount, "dense")
    if let b = bias { try check.weights(b, count: outFeatures, "bias") }
  }

  var summary: String {
    "dense \(inFeatures)→\(outFeatures)" + (rows == 1 ? "" : " ×\(rows) rows") + (bias == nil ? " no-bias" : "") + PlanDescription.suffix(activation)
  }
}
