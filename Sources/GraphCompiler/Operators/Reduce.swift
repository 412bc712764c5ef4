import GraphIR
import GraphPlan
import GraphReference

/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare, ReduceProd,
/// ReduceLogSum and ReduceLogSumExp: one definition with a ``ReduceKind``. Reduced axes become 1
/// (keepdims) or disappear. Axes are an attribute before opset 18 (13 for ReduceSum) and an input
/// from then on; none means all (or nothing, with noop_with_empty_axes).
enum ReduceOp: OperatorDefinition {
  static let kinds: [String: ReduceKind] = [
    "ReduceMean": .mean, "ReduceSum": .sum, "ReduceMax": .max, "ReduceMin": .min, "ReduceL2": .l2,
    "ReduceSumSquare": .sumSquare, "ReduceProd": .prod, "ReduceLogSumExp": .logSumExp, "ReduceL1": .l1,
    "ReduceLogSum": .logSum,
  ]
  static let opTypes = kinds.keys.sorted()
  /// Over a constant (an empty input is one), to the reduction's value: over nothing, its identity
  /// (0 for a sum, -inf for a max, 1 for a product), as the spec says.
  static let folds = true
  static let attributes: Set<String> = ["axes", "keepdims", "noop_with_empty_axes"]
  /// For `graphc ops` and docs/ops.md (the `notes` requirement arrives with the conv-nd branch).
  static let notes: String? =
    "any axes (constants); across the batch of a batched model only ReduceMean (into an output without the batch)."

  static func kind(_ n: some NodeOperands) -> ReduceKind { kinds[n.node.opType] ?? .mean }

  /// The opset from which the axes are an input (ReduceSum moved first).
  static func axesInputFrom(_ opType: String) -> Int { opType == "ReduceSum" ? 13 : 18 }

  /// The reduced axes, normalized; empty for a no-op.
  static func reducedAxes(_ n: some NodeOperands, rank: Int) throws -> Set<Int> {
    let from = axesInputFrom(n.node.opType)
    let axes = try n.axesList(inputFrom: from, index: 1) ?? []
    if axes.isEmpty {
      let noop = n.opset >= from ? try n.node.int("noop_with_empty_axes", default: 0) != 0 : false
      return noop ? [] : Set(0..<rank)
    }
    return Set(try n.normalizedAxes(axes, rank: rank))
  }

  static func keepDims(_ n: some NodeOperands) throws -> Bool { try n.node.int("keepdims", default: 1) != 0 }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let reduced = try reducedAxes(n, rank: x.shape.rank)
    let keep = try keepDims(n)
    var dims: [Dim] = []
    for (i, d) in x.shape.dims.enumerated() {
      if !reduced.contains(i) { dims.append(d) } else if keep { dims.append(.fixed(1)) }
    }
    return [ValueState(x.elementType, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let dims = x.dims
    let axes = try reducedAxes(n, rank: dims.count)
    let outDimsKept = dims.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    // Each output's input positions, in input order.
    var groups = [[Int]](repeating: [], count: outDimsKept.reduce(1, *))
    let strides = Evaluate.strides(outDimsKept)
    for flat in 0..<x.elementCount {
      var rest = flat, target = 0
      for d in stride(from: dims.count - 1, through: 0, by: -1) {
        let coord = rest % dims[d]
        rest /= dims[d]
        if !axes.contains(d) { target += coord * strides[d] }
      }
      groups[target].append(flat)
    }
    let outDims = try keepDims(n) ? outDimsKept : dims.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    let kind = kind(n)
    if x.dataType.isInteger && kind != .mean {
      let ints = x.int64s
      let range = x.dataType.integerRange ?? Int64.min...Int64.max
      return [
        Tensor(dataType: x.dataType, dims: outDims, storage: .integers(try groups.map { try integer(kind, $0.map { ints[$0] }, range: range, n) }))
      ]
    }
    let values = x.floats
    return [Tensor(floats: groups.map { Reference.reduce(kind, $0.map { values[$0] }) }, dims: outDims)]
  }

  /// An integer reduction (shape arithmetic: `ReduceProd(Shape(x))`), exact or an error. Over
  /// nothing, a max is the type's least value and a min its greatest (`range`; bool: false, true),
  /// as the spec says where there is no infinity.
  static func integer(_ kind: ReduceKind, _ values: [Int64], range: ClosedRange<Int64>, _ n: EvaluationContext) throws -> Int64 {
    func overflow() -> GraphError { n.error("integer \(n.node.opType) overflows") }
    switch kind {
    case .sum, .sumSquare, .prod, .l1:
      func summand(_ v: Int64) -> (Int64, Bool) {
        switch kind {
        case .sumSquare: return v.multipliedReportingOverflow(by: v)
        case .l1: return v == .min ? (0, true) : (abs(v), false)
        default: return (v, false)
        }
      }
      return try values.reduce(kind == .prod ? 1 : 0) { acc, v in
        let term = summand(v)
        let r = kind == .prod ? acc.multipliedReportingOverflow(by: v) : acc.addingReportingOverflow(term.0)
        guard !term.1, !r.overflow else { throw overflow() }
        return r.partialValue
      }
    case .max: return values.max() ?? range.lowerBound
    case .min: return values.min() ?? range.upperBound
    default: throw n.error("\(n.node.opType) of integers is not supported")
    }
  }

  /// A reduction over trailing axes (the spatial axes of NCHW, the channels of NHWC): a reduce
  /// step (for a mean, a global average pool) over a view of the input as [rows, reduced]. Other axes are moved to the end
  /// first by a transpose (the kept axes keep their order, so the result is laid out as the output).
  /// A mean across the batch (into an output without it) ends with a batch-mean step.
  static func lower(_ n: LoweringContext) throws {
    let rank = n.dims(n.x).count + 1
    let axes = try reducedAxes(n, rank: rank)
    guard axes.contains(0) else { return try lowerPerItem(n, kind(n), axes: axes, output: n.output) }
    // Only a batched input reduces across items here; a fixed-shape node runs whole (axes shifted).
    guard kind(n) == .mean, !n.whole, n.lowering.program.values[n.x]?.items == nil, n.items != nil else {
      throw LoweringContext.Unsupported(reason: "a \(kind(n).name) across the batch")
    }
    var perItem = n.x
    if axes.count > 1 {
      // Per item first, keeping the reduced axes as 1s: the same floats the output holds.
      perItem = n.output + "#item-mean"
      n.newValue(perItem, dims: n.dims(n.x).enumerated().map { axes.contains($0.offset + 1) ? 1 : $0.element }, items: .some(nil))
      try lowerPerItem(n, kind(n), axes: axes.subtracting([0]), output: perItem)
    }
    n.emit(.batchMean, inputs: [perItem])
  }

  /// The reduction `kind` over `axes` (none of them the batch) of each item, into `output`.
  static func lowerPerItem(_ n: LoweringContext, _ kind: ReduceKind, axes: Set<Int>, output: String) throws {
    var dims = n.dims(n.x), x = n.x
    let rank = dims.count + 1
    let trailing = rank - axes.count
    if axes != Set(trailing..<rank) {
      // Per-item axes (the batch is not one): the kept ones in order, then the reduced ones.
      let perm = (1..<rank).filter { !axes.contains($0) }.map { $0 - 1 } + axes.sorted().map { $0 - 1 }
      dims = perm.map { dims[$0] }
      x = output + "#reduced-last"
      n.newValue(x, dims: dims, items: n.lowering.program.values[n.resolved(output)]?.items)
      n.emit(.transpose(perm: perm), inputs: [n.x], output: x)
    }
    let rows = dims[..<(trailing - 1)].reduce(1, *)
    let input = dims.count >= 2 && trailing == 2 ? x : n.view(of: x, dims: [rows, dims[(trailing - 1)...].reduce(1, *)])
    n.emit(kind == .mean ? .globalPool(.average) : .reduce(kind), inputs: [input], output: output)
  }
}
