import GraphIR
import GraphPlan
import GraphReference

/// Where: `condition ? X : Y` elementwise, the three broadcast together. Folds on constants of
/// every element type and on known shape values (`Where(Equal(shape, -1), 1, shape)`, the
/// exporters' Expand plumbing). At run time a select step; the condition, X or Y may each be a
/// constant (a mask, a fill value) or a run-time value (a comparison's float 0/1).
enum WhereOp: OperatorDefinition {
  static let opTypes = ["Where"]
  static let attributes: Set<String> = []
  static let folds = true
  static let lowersConstantFirstInput = true

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let c = try n.input(0, "condition"), x = try n.input(1, "X"), y = try n.input(2, "Y")
    guard c.elementType == .bool else { throw n.error("condition must be bool, is \(c.elementType)") }
    guard x.elementType == y.elementType else { throw n.error("X is \(x.elementType), Y is \(y.elementType): they must agree") }
    guard let cx = DimArithmetic.broadcast(c.shape, x.shape), let shape = DimArithmetic.broadcast(cx, y.shape) else {
      throw n.error("shapes \(c.shape), \(x.shape) and \(y.shape) do not broadcast")
    }
    var out = ValueState(x.elementType, shape)
    // Known small integer values: pick each element (the shape plumbing stays known through Where).
    if shape.rank <= 1, let cs = c.elements.flatMap({ Shape($0).fixedDims }), let xs = x.elements, let ys = y.elements {
      let count = max(cs.count, xs.count, ys.count)
      if [cs.count, xs.count, ys.count].allSatisfy({ $0 == count || $0 == 1 }) {
        out.elements = (0..<count).map { i in cs[cs.count == 1 ? 0 : i] != 0 ? xs[xs.count == 1 ? 0 : i] : ys[ys.count == 1 ? 0 : i] }
      }
    }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let c = try n.input(0), x = try n.input(1), y = try n.input(2)
    guard let cx = Broadcast.shape(c.dims, x.dims), let shape = Broadcast.shape(cx, y.dims) else {
      throw n.error("shapes \(c.dims), \(x.dims) and \(y.dims) do not broadcast")
    }
    switch (x.storage, y.storage) {
    case (.floats, .floats):
      let condition = c.floats
      let out = try Evaluate.floats(count: shape.reduce(1, *), x, y) { px, py, d in
        _ = try condition.withUnsafeBufferPointer { pc in
          try Reference.select(
            condition: pc.baseAddress!, conditionShape: c.dims, x: px, xShape: x.dims, y: py, yShape: y.dims, output: d)
        }
      }
      return [Tensor(dataType: x.dataType, dims: shape, storage: .floats(out))]
    case (.integers(let xs), .integers(let ys)):
      return [Tensor(dataType: x.dataType, dims: shape, storage: .integers(pick(c, x.dims, y.dims, shape, xs, ys)))]
    default:
      let xs = ElementwiseEvaluation.doubles(x), ys = ElementwiseEvaluation.doubles(y)
      return [Tensor(dataType: x.dataType, dims: shape, storage: .doubles(pick(c, x.dims, y.dims, shape, xs, ys)))]
    }
  }

  /// Each element of `shape` from `xs` where the condition holds, else from `ys`.
  static func pick<T>(_ c: Tensor, _ xDims: [Int], _ yDims: [Int], _ shape: [Int], _ xs: [T], _ ys: [T]) -> [T] {
    let condition = c.int64s
    let cs = Broadcast.strides(c.dims, to: shape), xStrides = Broadcast.strides(xDims, to: shape)
    let yStrides = Broadcast.strides(yDims, to: shape)
    return (0..<shape.reduce(1, *)).map { index in
      let (ci, xi) = Broadcast.offsets(of: index, in: shape, cs, xStrides)
      let (_, yi) = Broadcast.offsets(of: index, in: shape, cs, yStrides)
      return condition[ci] != 0 ? xs[xi] : ys[yi]
    }
  }

  /// One select step: each operand computed at run time (a value without the batch read by
  /// every item) or a constant shared by every item.
  static func lower(_ n: LoweringContext) throws {
    let outRank = n.dims(n.output).count
    var dims: [[Int]] = [], constants: [WeightRef?] = [], inputs: [String] = []
    for i in 0..<3 {
      let name = n.node.inputs[i]
      if n.isComputed(name) {
        let operand = try n.operand(name)
        dims.append(n.dims(operand))
        constants.append(nil)
        inputs.append(operand)
      } else {
        guard let c = n.knownValue(i), c.isLoaded else { throw LoweringContext.Unsupported(reason: "input \(i) is neither computed nor constant") }
        dims.append(try ArithmeticOp.sharedConstantDims(c.dims, outRank: outRank))
        constants.append(n.addWeights(c.floats))
      }
    }
    guard !inputs.isEmpty else { throw LoweringContext.Unsupported(reason: "no operand is computed at run time") }
    n.emit(.select(Select(dims: dims, constants: constants)), inputs: inputs)
  }
}
