import GraphIR
import GraphPlan
import GraphReference

/// CumSum: running sums along the axis given by input 1 (a constant), the shape kept.
/// `exclusive=1` leaves each element out of its own sum (the first is 0); `reverse=1` sums from
/// the end. Float tensors; one step with a kernel of its own (16 lanes at a time across the axes
/// after the summed one).
enum CumSumOp: OperatorDefinition {
  static let opTypes = ["CumSum"]
  static let attributes: Set<String> = ["exclusive", "reverse"]
  static let notes: String? = "The axis must be a constant; float inputs; not along the batch of a batched model."

  static func axis(_ n: some NodeOperands, rank: Int) throws -> Int {
    guard let values = try n.knownInts(1, "axis") else { throw n.error("input axis is required") }
    guard values.count == 1 else { throw n.error("axis must hold one value, holds \(values.count)") }
    return try n.axis(values[0], rank: rank)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "x")
    guard x.elementType == .float else { throw n.error("x must be float32, is \(x.elementType)") }
    _ = try axis(n, rank: x.shape.rank)
    _ = try n.flag("exclusive")
    _ = try n.flag("reverse")
    return [ValueState(.float, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axis = try axis(n, rank: x.dims.count), exclusive = try n.flag("exclusive"), reverse = try n.flag("reverse")
    let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
      Reference.cumSum(src, shape: x.dims, axis: axis, exclusive: exclusive, reverse: reverse, output: dst)
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let axis = try axis(n, rank: n.dims(n.x).count + 1)
    guard axis >= 1 else { throw LoweringContext.Unsupported(reason: "a running sum along the batch") }
    n.emit(.cumSum(axis: axis - 1, exclusive: try n.flag("exclusive"), reverse: try n.flag("reverse")), inputs: [n.x])
  }
}
