import GraphIR
import GraphPlan
import GraphReference

/// ArgMax and ArgMin: the int64 index of the largest (smallest) value along `axis` (default 0),
/// the first on ties or the last with `select_last_index` (opset 12+); the axis becomes 1
/// (keepdims, the default) or disappears. A reduce step over the axis moved last, as ReduceMax:
/// the indices are exact float integers in the arena (see ``OperatorDefinition/indexOutputs``),
/// so the axis may hold at most 2^24 values.
enum ArgMaxOp: OperatorDefinition {
  static let opTypes = ["ArgMax", "ArgMin"]
  static let attributes: Set<String> = ["axis", "keepdims", "select_last_index"]
  static let indexOutputs = [0]
  static let notes: String? = "int64 indices computed at run time may be graph outputs or feed Cast to float, comparisons and views; not across the batch of a batched model; at most 2^24 values along the axis."

  /// The most values an axis may hold: every index below it is an exact float32.
  static let longestAxis = 1 << 24

  static func kind(_ n: some NodeOperands) throws -> ReduceKind {
    let last = try n.node.int("select_last_index", default: 0) != 0
    return n.node.opType == "ArgMax" ? (last ? .argMaxLast : .argMax) : (last ? .argMinLast : .argMin)
  }

  static func axis(_ n: some NodeOperands, rank: Int) throws -> Int { try n.axis(try n.node.int("axis", default: 0), rank: rank) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let axis = try axis(n, rank: x.shape.rank)
    var dims = x.shape.dims
    if try n.node.int("keepdims", default: 1) != 0 { dims[axis] = .fixed(1) } else { dims.remove(at: axis) }
    _ = try kind(n)
    return [ValueState(.int64, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axis = try axis(n, rank: x.dims.count), kind = try kind(n)
    guard x.dims[axis] > 0 else { throw n.error("axis \(axis) is empty") }
    let largest = kind == .argMax || kind == .argMaxLast, last = kind == .argMaxLast || kind == .argMinLast
    let lanes = Evaluate.lanes(x.dims, axis: axis)
    func indices<T: Comparable>(_ v: [T]) -> [Int] { lanes.map { lane in Reference.argIndex(lane.map { v[$0] }, largest: largest, last: last) } }
    let found = x.dataType.isInteger ? indices(x.int64s) : indices(x.floats)
    var dims = x.dims
    if try n.node.int("keepdims", default: 1) != 0 { dims[axis] = 1 } else { dims.remove(at: axis) }
    return [Tensor(int64s: found.map(Int64.init), dims: dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let axis = try axis(n, rank: dims.count + 1)
    guard axis > 0 else { throw LoweringContext.Unsupported(reason: "an \(n.node.opType) across the batch") }
    guard dims[axis - 1] <= longestAxis else {
      throw n.error("axis \(axis) holds \(dims[axis - 1]) values; indices computed at run time are exact only up to 2^24 (\(longestAxis))")
    }
    try ReduceOp.lowerPerItem(n, try kind(n), axes: [axis], output: n.output)
  }
}
