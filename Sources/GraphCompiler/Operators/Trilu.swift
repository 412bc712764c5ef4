import GraphIR
import GraphPlan

/// Trilu (opset 14): the upper (default) or lower triangle of the last two dims, from diagonal `k`
/// (a constant input, 0 by default), zeros elsewhere. At run time a select step against a constant
/// mask, so NaN and inf outside the triangle become 0 too (a multiply by 0 would keep NaN).
enum TriluOp: OperatorDefinition {
  static let opTypes = ["Trilu"]
  static let attributes: Set<String> = ["upper"]
  static let folds = true
  static let notes: String? = "k must be a constant; the last two dims within a batch item."

  /// Whether element (row, column) of the last two dims is kept.
  static func mask(_ n: some NodeOperands, rows: Int, columns: Int) throws -> [Bool] {
    let upper = try n.node.int("upper", default: 1) != 0
    let k = try n.knownInts(1, "k") ?? [0]
    guard k.count == 1 else { throw n.error("k must be a scalar, holds \(k.count) values") }
    return (0..<(rows * columns)).map { i in
      let offset = i % columns - i / columns
      return upper ? offset >= k[0] : offset <= k[0]
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 2 else { throw n.error("input must have rank 2 or more, has shape \(x.shape)") }
    _ = try mask(n, rows: 0, columns: 0)
    return [ValueState(x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count >= 2 else { throw n.error("input must have rank 2 or more, has \(x.dims)") }
    let keep = try mask(n, rows: x.dims[x.dims.count - 2], columns: x.dims[x.dims.count - 1])
    func zeroed<T>(_ values: [T], _ zero: T) -> [T] { values.enumerated().map { keep[$0.offset % keep.count] ? $0.element : zero } }
    let storage: Tensor.Storage = x.dataType.isInteger ? .integers(zeroed(x.int64s, 0)) : .floats(zeroed(x.floats, 0))
    return [Tensor(dataType: x.dataType, dims: x.dims, storage: storage)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    guard dims.count >= 2 else { throw LoweringContext.Unsupported(reason: "the last two dims must lie within a batch item") }
    let (rows, columns) = (dims[dims.count - 2], dims[dims.count - 1])
    let keep = try mask(n, rows: rows, columns: columns).map { $0 ? Float(1) : 0 }
    let select = Select(dims: [[rows, columns], dims, []], constants: [n.addWeights(keep), nil, n.addWeights([0])])
    n.emit(.select(select), inputs: [n.x])
  }
}
