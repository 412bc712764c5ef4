import GraphIR
import GraphPlan
import GraphReference

/// MatMul with numpy semantics: 1-D operands gain and then lose a dim, batch dims broadcast.
enum MatMulOp: OperatorDefinition {
  static let opTypes = ["MatMul"]
  static let attributes: Set<String> = []
  static let lowersConstantFirstInput = true
  /// For `graphc ops` and docs/ops.md (the `notes` requirement arrives with the conv-nd branch).
  static let notes: String? =
    "two run-time tensors, or a constant of any rank on either side, batched with broadcasting (1-D operands as a row or column); a 2-D constant right operand is a dense layer; a value without the batch is read by every batch item."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A")
    let b = try n.input(1, "B")
    guard a.shape.rank >= 1, b.shape.rank >= 1 else {
      throw n.error("operands must have rank 1 or more, A is \(a.shape), B is \(b.shape)")
    }
    let a2 = a.shape.rank == 1 ? Shape([.fixed(1)] + a.shape.dims) : a.shape
    let b2 = b.shape.rank == 1 ? Shape(b.shape.dims + [.fixed(1)]) : b.shape
    let ka = a2[a2.rank - 1], kb = b2[b2.rank - 2]
    guard n.unify(ka, kb) != nil else {
      throw n.error("inner dims differ: A \(a.shape) has K=\(ka), B \(b.shape) has K=\(kb)")
    }
    let batchA = Shape(Array(a2.dims.dropLast(2))), batchB = Shape(Array(b2.dims.dropLast(2)))
    guard let batch = DimArithmetic.broadcast(batchA, batchB) else {
      throw n.error("batch dims do not broadcast: A \(a.shape), B \(b.shape)")
    }
    var dims = batch.dims
    if a.shape.rank > 1 { dims.append(a2[a2.rank - 2]) }
    if b.shape.rank > 1 { dims.append(b2[b2.rank - 1]) }
    return [ValueState(a.elementType, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let a = try n.input(0), b = try n.input(1)
    let shape = try Reference.matmulShape(a.dims, b.dims)
    let out = try Evaluate.floats(count: shape.reduce(1, *), a, b) { pa, pb, dst in
      try Reference.matmul(a: pa, aShape: a.dims, b: pb, bShape: b.dims, output: dst)
    }
    return [Tensor(floats: out, dims: shape)]
  }

  /// A constant 2-D right operand makes a dense step; anything else (two run-time operands,
  /// batched constants, a constant left operand) a batched matmul step.
  static func lower(_ n: LoweringContext) throws {
    if n.isComputed(n.x), !n.isComputed(n.node.inputs[1]), n.knownValue(1)?.dims.count == 2 {
      do { return try GemmOp.lowerDense(n, transB: false, alpha: 1, bias: nil) } catch is LoweringContext.Unsupported {}
    }
    try lowerBatched(n)
  }

  /// Each operand as one item of it sees it: a batched value per item, a value without the batch
  /// (run-time or constant) whole, its leading dim dropped where that dim lines up with the batch.
  static func lowerBatched(_ n: LoweringContext) throws {
    let names = [n.node.inputs[0], n.node.inputs[1]]
    let shapes = n.lowering.context.shapes
    let ranks = names.compactMap { shapes[$0]?.rank }
    guard ranks.count == 2, let outRank = shapes[n.output]?.rank else { throw n.error("operands have no inferred shapes") }
    // With fixed shapes every item would be a different matrix: whole mode lowers the node as one item.
    guard n.whole || n.items == nil else { throw LoweringContext.Unsupported(reason: "a product over fixed leading items") }
    // How many broadcast (batch) dims the output has: the batch symbol is the first of them, or
    // (with none) the rows of a 2-D left operand.
    let outBatch = outRank - ranks.filter { $0 > 1 }.count
    var perItem: [[Int]] = [], runTime: [String] = [], constant: (WeightRef, isLeft: Bool)? = nil
    for (i, name) in names.enumerated() {
      let ownBatch = max(0, ranks[i] - 2)
      let lined = !n.whole && outBatch >= 1 && ownBatch == outBatch
      if n.isComputed(name), n.whole || n.lowering.program.values[name]?.items == nil {
        guard n.whole || lined || (i == 0 && outBatch == 0 && ranks[0] == 2) else {
          throw LoweringContext.Unsupported(reason: "operand '\(name)' has the batch where no output dim does")
        }
        perItem.append(n.dims(name))
        runTime.append(n.resolved(name))
        continue
      }
      let full: [Int]
      if n.isComputed(name) {
        guard let dims = shapes[name]?.fixedDims else { throw n.error("operand '\(name)' has no fixed shape") }
        full = dims
      } else {
        full = try n.constant(i).dims
      }
      if lined && full.first != 1 { throw LoweringContext.Unsupported(reason: "operand '\(name)' \(full) varies along the batch") }
      let dims = lined ? Array(full.dropFirst()) : full
      perItem.append(dims)
      if n.isComputed(name) {
        // A value without the batch that every item reads.
        let view = n.resolved(name) + "#each-" + dims.map(String.init).joined(separator: "x")
        if n.lowering.program.values[view] == nil { n.newValue(view, dims: dims, alias: .view(of: n.resolved(name)), items: 1) }
        runTime.append(view)
      } else {
        constant = (n.addWeights(try n.constant(i).floats), isLeft: i == 0)
      }
    }
    guard let dims = MatMulStep.outputDims(perItem[0], perItem[1]), dims == n.dims(n.output) else {
      throw LoweringContext.Unsupported(reason: "operands \(perItem[0]) and \(perItem[1]) per item do not give the output's \(n.dims(n.output))")
    }
    n.emit(.matmul(MatMulStep(leftDims: perItem[0], rightDims: perItem[1], constant: constant?.0, constantIsLeft: constant?.isLeft ?? false)),
           inputs: runTime)
  }
}
