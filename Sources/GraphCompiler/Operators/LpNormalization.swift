import GraphIR
import GraphPlan

/// LpNormalization: each lane along `axis` (default -1) divided by its L1 (`p=1`) or L2 (`p=2`, the
/// default) norm; an all-zero lane stays 0 (ONNX's reference, not 0/0). Lowered onto existing
/// steps: an l1/l2 reduce per lane of the axis moved last, the norm raised to at least the least
/// float above 0 (which changes only a zero norm, whose lane is all 0: 0 / tiny = 0), a
/// broadcasting division, and the transpose back.
enum LpNormalizationOp: OperatorDefinition {
  static let opTypes = ["LpNormalization"]
  static let attributes: Set<String> = ["axis", "p"]

  static func p(_ n: some NodeOperands) throws -> Int {
    let p = try n.node.int("p", default: 2)
    guard p == 1 || p == 2 else { throw n.error("p must be 1 or 2, is \(p)") }
    return p
  }

  static func axis(_ n: some NodeOperands, rank: Int) throws -> Int { try n.axis(try n.node.int("axis", default: -1), rank: rank) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    _ = try axis(n, rank: x.shape.rank)
    _ = try p(n)
    return [ValueState(x.elementType, x.shape)]
  }

  /// Each lane's norm in Double, as the spec writes it.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axis = try axis(n, rank: x.dims.count), p = try p(n), values = x.floats
    var out = [Float](repeating: 0, count: values.count)
    for lane in Evaluate.lanes(x.dims, axis: axis) {
      let sum = lane.reduce(0.0) { $0 + (p == 1 ? abs(Double(values[$1])) : Double(values[$1]) * Double(values[$1])) }
      let norm = p == 1 ? sum : sum.squareRoot()
      for i in lane { out[i] = norm == 0 ? 0 : Float(Double(values[i]) / norm) }
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let axis = try axis(n, rank: dims.count + 1)
    guard axis > 0 else { throw LoweringContext.Unsupported(reason: "a norm across the batch") }
    let (x, laneDims, perm) = n.movingAxisLast(axis - 1)
    let length = dims[axis - 1], rows = laneDims.reduce(1, *) / length
    let lanes = n.view(of: x, dims: [rows, length])
    let norm = n.output + "#norm", normalized = n.output + "#normalized"
    n.newValue(norm, dims: [rows, 1])
    n.emit(.reduce(try p(n) == 1 ? .l1 : .l2), inputs: [lanes], output: norm)
    let positive = n.output + "#positive-norm"
    n.newValue(positive, dims: [rows, 1])
    n.emit(.activation(.clip(min: .leastNonzeroMagnitude, max: .infinity)), inputs: [norm], output: positive)
    n.newValue(normalized, dims: [rows, length])
    n.emit(.binary(Binary(op: .div, leftDims: [rows, length], rightDims: [rows, 1], constant: nil, constantIsLeft: false, activation: .none)),
           inputs: [lanes, positive], output: normalized)
    n.movingAxisBack(from: normalized, dims: laneDims, perm: perm, into: n.output)
  }
}
