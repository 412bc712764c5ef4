import GraphIR
import GraphPlan

/// Expand: the input broadcast with a `shape` (NumPy rules both ways: a 1 in `shape` keeps the
/// input's size). The shape may hold the batch (`x.expand(N, -1, -1)` of a class token):
/// inference takes its symbolic elements, and lowering reads the target from the output's
/// inferred shape, so that shape input is dropped before lowering (``ShapeInputs``). Run-time
/// data lowers to an index-copy step reading position 0 along every broadcast axis; a constant
/// broadcast along the batch lowers to a constant step writing the same item into every item.
enum ExpandOp: OperatorDefinition {
  static let opTypes = ["Expand"]
  static let attributes: Set<String> = []
  static let folds = true
  static let shapeInputs = [1]
  static let notes: String? =
    "a shape known at compile time (it may hold the batch); data computed at run time with the batch axis not broadcast, or a constant broadcast along the batch."

  static func shape(_ n: some NodeOperands) throws -> [Int] {
    guard let shape = try n.knownInts(1, "shape") else { throw n.error("shape is required") }
    guard shape.allSatisfy({ $0 >= 0 }) else { throw n.error("shape \(shape) has a negative size") }
    return shape
  }

  /// Per output axis, the input position each output position reads, broadcasting `dims` to `target`.
  static func tables(_ n: some NodeOperands, _ dims: [Int], to target: [Int]) throws -> [[Int]] {
    let rank = max(dims.count, target.count)
    let x = Array(repeating: 1, count: rank - dims.count) + dims
    let t = Array(repeating: 1, count: rank - target.count) + target
    return try (0..<rank).map { d in
      guard x[d] == t[d] || x[d] == 1 || t[d] == 1 else { throw n.error("input \(dims) does not broadcast to shape \(target)") }
      return x[d] == 1 ? Array(repeating: 0, count: t[d]) : Array(0..<x[d])
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    let s = try n.input(1, "shape", rank: 1)
    guard let elements = s.elements ?? s.constant.map({ $0.int64s.map { Dim.fixed(Int($0)) } }) else {
      throw n.error("shape (input 1, '\(n.node.inputs[1])') must be known at compile time (a constant, or computed from shapes)")
    }
    for case .fixed(let d) in elements where d < 0 { throw n.error("shape \(Shape(elements)) has a negative size") }
    let target = Shape(elements)
    guard let dims = DimArithmetic.broadcast(x.shape, target) else { throw n.error("input \(x.shape) does not broadcast to shape \(target)") }
    return [ValueState(x.elementType, dims)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [IndexTables.select(x, try tables(n, x.dims, to: try shape(n)))]
  }

  /// The target is the output's shape (the broadcast of input and `shape`, which reads the same
  /// tables): with the batch a batch of one, the batch axis left alone.
  static func lower(_ n: LoweringContext) throws {
    let target = (n.whole ? [] : [1]) + n.dims(n.output)
    guard n.isComputed(n.x) else { return try lowerConstant(n, target) }
    // Run-time data without the batch under a batched output would need every item to read one.
    if n.outputIsBatched, n.lowering.program.values[n.x]?.items != nil {
      throw LoweringContext.Unsupported(reason: "a run-time value without the batch ('\(n.x)') broadcast along the batch")
    }
    try IndexTables.lower(n) { try tables(n, $0, to: target) }
  }

  /// A constant input under a batched output (a folded Expand has no step): each item is the
  /// same broadcast copy, which a constant step writes into every item.
  private static func lowerConstant(_ n: LoweringContext, _ target: [Int]) throws {
    guard n.outputIsBatched else { throw LoweringContext.Unsupported(reason: "a constant input expanded to a shape without the batch") }
    let x = try n.constant(0)
    let item = IndexTables.select(x, try tables(n, x.dims, to: target))
    n.emit(.constant(n.addWeights(item.floats)), inputs: [])
  }
}

/// Tile: the input repeated `repeats[d]` times along each axis (a constant input, opset 6 on).
enum TileOp: OperatorDefinition {
  static let opTypes = ["Tile"]
  static let attributes: Set<String> = []
  static let folds = true
  static let notes: String? = "constant repeats (opset 6 on); data computed at run time, the batch axis repeated once."

  static func repeats(_ n: some NodeOperands, rank: Int) throws -> [Int] {
    guard n.opset >= 6 else { throw n.error("Tile before opset 6 (tiles and axis inputs) is not supported (the model imports opset \(n.opset))") }
    guard let r = try n.knownInts(1, "repeats") else { throw n.error("repeats is required") }
    guard r.count == rank, r.allSatisfy({ $0 >= 0 }) else { throw n.error("repeats \(r) must be \(rank) non-negative counts, one per axis") }
    return r
  }

  static func tables(_ n: some NodeOperands, _ dims: [Int]) throws -> [[Int]] {
    zip(dims, try repeats(n, rank: dims.count)).map { size, r in (0..<size * r).map { $0 % size } }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    let r = try repeats(n, rank: x.shape.rank)
    let dims = x.shape.dims.enumerated().map { d, dim -> Dim in
      r[d] == 1 ? dim : dim.value.map { .fixed($0 * r[d]) } ?? n.freshSymbol(dim: d)
    }
    return [ValueState(x.elementType, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [IndexTables.select(x, try tables(n, x.dims))]
  }

  static func lower(_ n: LoweringContext) throws {
    try IndexTables.lower(n) { try tables(n, $0) }
  }
}
