/// An element-wise binary step: `activation(left op right)` with NumPy broadcasting.
public struct Binary: Equatable, Sendable {
  /// The arithmetic operator.
  public var op: BinaryOp
  /// Per-item shape of input 0 (the left operand unless `constantIsLeft`).
  public var leftDims: [Int]
  /// Per-item shape of the other operand: input 1, or the constant.
  public var rightDims: [Int]
  /// The other operand when it is a constant shared by every batch item (`rightDims` floats).
  public var constant: WeightRef?
  /// Whether the constant is the left operand (for sub/div order).
  public var constantIsLeft: Bool
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a binary step's parameters.
  public init(
    op: BinaryOp, leftDims: [Int], rightDims: [Int], constant: WeightRef?, constantIsLeft: Bool,
    activation: Activation
  ) {
    self.op = op
    self.leftDims = leftDims
    self.rightDims = rightDims
    self.constant = constant
    self.constantIsLeft = constantIsLeft
    self.activation = activation
  }
}

extension Binary: StepKind {
  static let tag: UInt8 = 5
  static let name = "binary"

  func encode(_ w: inout ByteWriter) {
    w.binaryOp(op)
    w.ints(leftDims)
    w.ints(rightDims)
    w.optionalWeight(constant)
    w.bool(constantIsLeft)
    w.activation(activation)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .binary(Binary(
      op: try r.binaryOp(), leftDims: try r.ints(), rightDims: try r.ints(), constant: try r.optionalWeight(),
      constantIsLeft: try r.bool(), activation: try r.activation()))
  }

  func validate(_ check: StepCheck) throws {
    let step = check.step
    try check.expect(leftDims.count <= 6 && rightDims.count <= 6, "binary operands of rank above 6")
    try check.expect(step.inputs.count == (constant == nil ? 2 : 1), "binary operand count mismatch")
    // Each dim may be up to 2^40 on disk: multiply them checked (a fuzzed plan trapped here).
    guard let leftCount = Window2D.checkedProduct(leftDims), let rightCount = Window2D.checkedProduct(rightDims),
      (leftDims + rightDims).allSatisfy({ $0 > 0 })
    else { throw PlanError.format("\(check.source): \(check.label): binary operand dims \(leftDims) and \(rightDims) are out of range") }
    try check.expect(leftCount == check.inCount, "binary left operand size mismatch")
    if let c = constant {
      try check.weights(c, count: rightCount, "constant")
    } else {
      try check.expect(step.inputs[1].itemCount == rightCount, "binary right operand size mismatch")
    }
    try check.expect(
      Broadcast.shape(leftDims, rightDims) == step.output.dims,
      "shapes \(leftDims) and \(rightDims) do not broadcast to \(step.output.dims)")
  }

  var summary: String {
    let left = PlanDescription.dims(leftDims), right = PlanDescription.dims(rightDims) + (constant != nil ? " const" : "")
    return "\(PlanDescription.name(op)) " + (constantIsLeft ? "\(right), \(left)" : "\(left), \(right)")
      + PlanDescription.suffix(activation)
  }
}
