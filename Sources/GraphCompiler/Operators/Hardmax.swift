import GraphIR
import GraphPlan
import GraphReference

/// Hardmax: 1 where a lane's first largest value is, 0 elsewhere. From opset 13 the lanes run
/// along `axis` (default -1); before, the input is seen as 2-D `[d0*...*d(axis-1), rest]` (axis
/// default 1) and each row is a lane. Lowered onto existing steps: an ArgMax reduce per lane
/// (the axis moved last by a transpose when it is not), then `index == [0, 1, ..., n-1]` by a
/// broadcasting comparison against a constant, then the transpose back.
enum HardmaxOp: OperatorDefinition {
  static let opTypes = ["Hardmax"]
  static let attributes: Set<String> = ["axis"]

  /// Whether the input is coerced to 2-D at the axis (before opset 13).
  static func flattens(_ n: some NodeOperands) -> Bool { n.opset < 13 }

  static func axis(_ n: some NodeOperands, rank: Int) throws -> Int {
    try n.axis(try n.node.int("axis", default: flattens(n) ? 1 : -1), rank: rank)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.elementType == .float else { throw n.error("input must be float, is \(x.elementType)") }
    _ = try axis(n, rank: x.shape.rank)
    return [ValueState(x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axis = try axis(n, rank: x.dims.count)
    let dims = flattens(n) ? [x.dims[..<axis].reduce(1, *), x.dims[axis...].reduce(1, *)] : x.dims
    let values = x.floats
    var out = [Float](repeating: 0, count: values.count)
    for lane in Evaluate.lanes(dims, axis: flattens(n) ? 1 : axis) where !lane.isEmpty {
      out[lane[Reference.argIndex(lane.map { values[$0] }, largest: true, last: false)]] = 1
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let axis = try axis(n, rank: dims.count + 1)
    guard axis > 0 else { throw LoweringContext.Unsupported(reason: "a Hardmax across the batch") }
    // Lanes laid out as rows: the axis (or, flattened, the axes from it) last.
    let (x, laneDims, perm) = flattens(n) ? (n.x, dims, nil) : n.movingAxisLast(axis - 1)
    let length = flattens(n) ? dims[(axis - 1)...].reduce(1, *) : dims[axis - 1]
    guard length <= ArgMaxOp.longestAxis else {
      throw n.error("lanes of \(length) values are too long: the run-time index is exact only up to 2^24 (\(ArgMaxOp.longestAxis))")
    }
    let rows = laneDims.reduce(1, *) / length
    let index = n.output + "#index"
    n.newValue(index, dims: [rows, 1])
    n.emit(.reduce(.argMax), inputs: [n.view(of: x, dims: [rows, length])], output: index)
    let hot = n.output + "#rows"
    n.newValue(hot, dims: [rows, length])
    let positions = n.addWeights((0..<length).map(Float.init))
    n.emit(.binary(Binary(op: .equal, leftDims: [rows, 1], rightDims: [length], constant: positions, constantIsLeft: false, activation: .none)),
           inputs: [index], output: hot)
    n.movingAxisBack(from: hot, dims: laneDims, perm: perm, into: n.output)
  }
}
