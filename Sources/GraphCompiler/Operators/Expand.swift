import GraphIR
import GraphPlan

/// Expand: the input broadcast with a constant `shape` (NumPy rules both ways: a 1 in `shape`
/// keeps the input's size). Run-time data lowers to an index-copy step reading position 0 along
/// every broadcast axis.
enum ExpandOp: OperatorDefinition {
  static let opTypes = ["Expand"]
  static let attributes: Set<String> = []
  static let folds = true
  static let notes: String? = "a constant shape; data computed at run time, the batch axis not broadcast."

  static func shape(_ n: some NodeOperands) throws -> [Int] {
    guard let shape = try n.knownInts(1, "shape") else { throw n.error("shape is required") }
    guard shape.allSatisfy({ $0 >= 0 }) else { throw n.error("shape \(shape) has a negative size") }
    return shape
  }

  static func tables(_ n: some NodeOperands, _ dims: [Int]) throws -> [[Int]] {
    let target = try shape(n)
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
    let target = Shape(try shape(n).map(Dim.fixed))
    guard let dims = DimArithmetic.broadcast(x.shape, target) else { throw n.error("input \(x.shape) does not broadcast to shape \(target)") }
    return [ValueState(x.elementType, dims)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [IndexTables.select(x, try tables(n, x.dims))]
  }

  static func lower(_ n: LoweringContext) throws {
    try IndexTables.lower(n) { try tables(n, $0) }
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
