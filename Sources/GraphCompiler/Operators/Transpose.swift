import GraphIR
import GraphPlan

/// Transpose: dims permuted by `perm` (default: reversed).
enum TransposeOp: OperatorDefinition {
  static let opTypes = ["Transpose"]
  static let attributes: Set<String> = ["perm"]
  static let folds = true
  static let movesIndices = true

  static func perm(_ n: some NodeOperands, rank: Int) throws -> [Int] {
    let perm = try n.node.ints("perm") ?? Array((0..<rank).reversed())
    guard perm.count == rank, Set(perm) == Set(0..<rank) else {
      throw n.error("perm \(perm) is not a permutation of 0..<\(rank)")
    }
    return perm
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let perm = try perm(n, rank: x.shape.rank)
    return [ValueState(x.elementType, Shape(perm.map { x.shape[$0] }))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [try transpose(x, try perm(n, rank: x.dims.count), n)]
  }

  /// `x` with its axes permuted, any element type.
  static func transpose(_ x: Tensor, _ perm: [Int], _ n: some NodeOperands) throws -> Tensor {
    guard perm.count == x.dims.count, Set(perm) == Set(0..<x.dims.count) else {
      throw n.error("invalid perm \(perm) for rank \(x.dims.count)")
    }
    let dims = perm.map { x.dims[$0] }
    let inStrides = Evaluate.strides(x.dims), outStrides = Evaluate.strides(dims)
    let flat = (0..<x.elementCount).map { o -> Int in
      var rem = o, src = 0
      for (axis, s) in outStrides.enumerated() { src += (rem / s) * inStrides[perm[axis]]; rem %= s }
      return src
    }
    return Evaluate.select(x, dims: dims, flat)
  }

  static func lower(_ n: LoweringContext) throws {
    let perm = try perm(n, rank: n.dims(n.x).count + 1)
    guard perm.first == 0 else { throw LoweringContext.Unsupported(reason: "transposes that move the batch axis") }
    n.emit(.transpose(perm: perm.dropFirst().map { $0 - 1 }), inputs: [n.x])
  }
}
