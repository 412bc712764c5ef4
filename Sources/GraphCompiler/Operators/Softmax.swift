import GraphIR
import GraphPlan
import GraphReference

/// Softmax and LogSoftmax keep the shape. From opset 13 they normalize along `axis` (default -1);
/// before, over all dims from `axis` on (default 1), flattened into one.
enum SoftmaxOp: OperatorDefinition {
  static let opTypes = ["Softmax", "LogSoftmax"]
  static let attributes: Set<String> = ["axis"]

  /// The normalized axis, checked against `rank`, and whether it spans every later axis too.
  static func axis(_ n: some NodeOperands, rank: Int) throws -> (axis: Int, coversTrailingAxes: Bool) {
    let axis = try n.axis(try n.node.int("axis", default: n.opset < 13 ? 1 : -1), rank: rank)
    return (axis, n.opset < 13)
  }

  /// Whether the node is LogSoftmax (`log(softmax(x))`, computed without the probabilities).
  static func isLog(_ n: some NodeOperands) -> Bool { n.node.opType == "LogSoftmax" }

  /// The step for a softmax along per-item `axis`.
  static func kernel(_ n: some NodeOperands, axis: Int) -> Kernel { isLog(n) ? .logSoftmax(axis: axis) : .softmax(axis: axis) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    _ = try axis(n, rank: x.shape.rank)
    return [ValueState(x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let (axis, trailing) = try axis(n, rank: x.dims.count)
    let shape = trailing ? [x.dims[..<axis].reduce(1, *), x.dims[axis...].reduce(1, *)] : x.dims
    let out = try Evaluate.floats(count: x.elementCount, x) { src, dst in
      try Reference.softmax(src, shape: shape, axis: trailing ? 1 : axis, log: isLog(n), output: dst)
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x), rank = dims.count + 1
    let (axis, trailing) = try axis(n, rank: rank)
    guard axis >= 1 else { throw LoweringContext.Unsupported(reason: "\(isLog(n) ? "log-softmax" : "softmax") across the batch") }
    guard trailing && axis < rank - 1 else {
      n.emit(kernel(n, axis: axis - 1), inputs: [n.x])
      return
    }
    // Before opset 13 the axes from `axis` on are one: run on views with them flattened.
    let flat = Array(dims[..<(axis - 1)]) + [dims[(axis - 1)...].reduce(1, *)]
    let input = n.view(of: n.x, dims: flat), output = n.output + "#flat"
    n.newValue(output, dims: flat)
    n.alias(n.output, .view(of: output))
    n.emit(kernel(n, axis: axis - 1), inputs: [input], output: output)
  }
}
