/// An element-wise choice with NumPy broadcasting of three operands (``Kernel/select(_:)``, ONNX
/// Where): `condition != 0 ? x : y`. A bool computed at run time is float 0/1 in the arena, so the
/// condition is any float, non-zero meaning true. Each operand is either the next step input (in
/// the order condition, x, y) or a constant shared by every item.
public struct Select: Equatable, Sendable {
  /// Per-item shapes of the condition, x and y (three entries).
  public var dims: [[Int]]
  /// Each operand's constant (three entries), nil for an operand read from the step's inputs.
  public var constants: [WeightRef?]

  /// Creates a select step's parameters.
  public init(dims: [[Int]], constants: [WeightRef?]) {
    self.dims = dims
    self.constants = constants
  }

  /// The broadcast of the three shapes, or nil.
  public static func outputDims(_ dims: [[Int]]) -> [Int]? {
    guard dims.count == 3, let cx = Broadcast.shape(dims[0], dims[1]) else { return nil }
    return Broadcast.shape(cx, dims[2])
  }
}

extension Select: StepKind {
  static let tag: UInt8 = 25
  static let name = "select"

  func encode(_ w: inout ByteWriter) {
    for i in 0..<3 {
      w.ints(dims[i])
      w.optionalWeight(constants[i])
    }
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    var dims: [[Int]] = [], constants: [WeightRef?] = []
    for _ in 0..<3 {
      dims.append(try r.ints())
      constants.append(try r.optionalWeight())
    }
    return .select(Select(dims: dims, constants: constants))
  }

  func validate(_ check: StepCheck) throws {
    let step = check.step
    try check.expect(dims.count == 3 && constants.count == 3, "select needs three operands")
    try check.expect(dims.allSatisfy { $0.count <= 6 }, "select operands of rank above 6")
    let counts = dims.map { d in d.allSatisfy { $0 > 0 } ? Window2D.checkedProduct(d) : nil }
    guard counts.allSatisfy({ $0 != nil }) else {
      throw PlanError.format("\(check.source): \(check.label): select operand dims \(dims) are out of range")
    }
    try check.expect(step.inputs.count == constants.filter { $0 == nil }.count, "select operand count mismatch")
    var input = 0
    for i in 0..<3 {
      if let c = constants[i] {
        try check.weights(c, count: counts[i]!, ["condition", "x", "y"][i])
      } else {
        try check.expect(step.inputs[input].itemCount == counts[i]!, "select operand \(i) size mismatch")
        input += 1
      }
    }
    try check.expect(Self.outputDims(dims) == step.output.dims, "shapes \(dims) do not broadcast to \(step.output.dims)")
  }

  var summary: String {
    let operands = (0..<3).map { PlanDescription.dims(dims[$0]) + (constants[$0] != nil ? " const" : "") }
    return "select \(operands.joined(separator: ", "))"
  }
}
