/// A batched matrix product with NumPy broadcasting (``Kernel/matmul(_:)``, ONNX MatMul of
/// run-time tensors): per item, `A` of `leftDims` times `B` of `rightDims`, ONNX semantics (a 1-D
/// `A` is a row, a 1-D `B` a column, both dims dropped from the result; the dims before the last
/// two broadcast). Inputs are the run-time operands in order: both, or the one that is not the
/// constant.
public struct MatMulStep: Equatable, Sendable {
  /// Per-item shape of the left operand.
  public var leftDims: [Int]
  /// Per-item shape of the right operand.
  public var rightDims: [Int]
  /// One operand when it is a constant shared by every item.
  public var constant: WeightRef?
  /// Whether the constant is the left operand.
  public var constantIsLeft: Bool

  /// Creates a matmul step's parameters.
  public init(leftDims: [Int], rightDims: [Int], constant: WeightRef? = nil, constantIsLeft: Bool = false) {
    self.leftDims = leftDims
    self.rightDims = rightDims
    self.constant = constant
    self.constantIsLeft = constantIsLeft
  }

  /// The product's per-item shape, or nil when the operands do not fit (ranks 1...6).
  public static func outputDims(_ a: [Int], _ b: [Int]) -> [Int]? {
    guard (1...6).contains(a.count), (1...6).contains(b.count) else { return nil }
    let a2 = a.count == 1 ? [1] + a : a, b2 = b.count == 1 ? b + [1] : b
    guard a2[a2.count - 1] == b2[b2.count - 2], var dims = Broadcast.shape(Array(a2.dropLast(2)), Array(b2.dropLast(2))) else {
      return nil
    }
    if a.count > 1 { dims.append(a2[a2.count - 2]) }
    if b.count > 1 { dims.append(b2[b2.count - 1]) }
    return dims
  }
}

extension MatMulStep: StepKind {
  static let tag: UInt8 = 16
  static let name = "matmul"

  func encode(_ w: inout ByteWriter) {
    w.ints(leftDims)
    w.ints(rightDims)
    w.optionalWeight(constant)
    w.bool(constantIsLeft)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .matmul(MatMulStep(leftDims: try r.ints(), rightDims: try r.ints(), constant: try r.optionalWeight(), constantIsLeft: try r.bool()))
  }

  func validate(_ check: StepCheck) throws {
    let step = check.step
    guard let leftCount = Window2D.checkedProduct(leftDims), let rightCount = Window2D.checkedProduct(rightDims),
      (leftDims + rightDims).allSatisfy({ $0 > 0 && $0 < 1 << 31 })
    else { throw PlanError.format("\(check.source): \(check.label): matmul operand dims \(leftDims) and \(rightDims) are out of range") }
    try check.expect(step.inputs.count == (constant == nil ? 2 : 1), "matmul operand count mismatch")
    let (inputCount, otherCount) = constantIsLeft ? (rightCount, leftCount) : (leftCount, rightCount)
    try check.expect(check.inCount == inputCount, "matmul operand 0 size mismatch")
    if let c = constant {
      try check.weights(c, count: otherCount, "constant")
    } else {
      try check.expect(step.inputs[1].itemCount == rightCount, "matmul right operand size mismatch")
    }
    guard let out = Self.outputDims(leftDims, rightDims), let outCount = Window2D.checkedProduct(out) else {
      throw PlanError.format("\(check.source): \(check.label): matmul of \(leftDims) and \(rightDims) does not fit")
    }
    try check.expect(outCount == check.outCount, "matmul output \(check.step.output.dims) is not \(out)")
  }

  var summary: String {
    let left = PlanDescription.dims(leftDims) + (constant != nil && constantIsLeft ? " const" : "")
    let right = PlanDescription.dims(rightDims) + (constant != nil && !constantIsLeft ? " const" : "")
    return "matmul \(left), \(right)"
  }
}
