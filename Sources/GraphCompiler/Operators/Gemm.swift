import GraphIR
import GraphPlan
import GraphReference

/// Gemm: `alpha * op(A) [M, K] x op(B) [K, N] + beta * C` (C broadcast to `[M, N]`).
/// Also lowers `graphc.FusedGemm` (a Gemm, or MatMul + bias, with a fused activation).
enum GemmOp: OperatorDefinition {
  static let opTypes = ["Gemm"]
  static let attributes: Set<String> = ["alpha", "beta", "transA", "transB"]
  /// Opset 6's `broadcast=1` lets C broadcast as opset 7's unidirectional rule does; without it C
  /// already has the output's shape, which that rule accepts as well.
  static let legacyAttributes = ["broadcast": 7]

  /// Gemm's attributes, read once.
  struct Attributes {
    var transA: Bool, transB: Bool, alpha: Float, beta: Float

    init(_ n: some NodeOperands) throws {
      transA = try n.node.int("transA", default: 0) != 0
      transB = try n.node.int("transB", default: 0) != 0
      alpha = try n.node.float("alpha", default: 1)
      beta = try n.node.float("beta", default: 1)
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A", rank: 2)
    let b = try n.input(1, "B", rank: 2)
    let t = try Attributes(n)
    let (m, ka) = t.transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, cols) = t.transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard n.unify(ka, kb) != nil else {
      throw n.error("inner dims differ: A \(a.shape)\(t.transA ? " transposed" : "") has K=\(ka), B \(b.shape)\(t.transB ? " transposed" : "") has K=\(kb)")
    }
    let out = Shape([m, cols])
    if let c = n.optionalInput(2), !DimArithmetic.broadcastsTo(c.shape, out) {
      throw n.error("bias C \(c.shape) does not broadcast to the output \(out)")
    }
    return [ValueState(a.elementType, out)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let a = try n.input(0), b = try n.input(1)
    let t = try Attributes(n)
    guard a.dims.count == 2, b.dims.count == 2 else { throw n.error("Gemm operands must be 2-D") }
    let (m, k) = t.transA ? (a.dims[1], a.dims[0]) : (a.dims[0], a.dims[1])
    let cols = t.transB ? b.dims[0] : b.dims[1]
    guard (t.transB ? b.dims[1] : b.dims[0]) == k else { throw n.error("Gemm shapes \(a.dims) x \(b.dims)") }
    let p = GemmParameters(m: m, n: cols, k: k, alpha: t.alpha, beta: t.beta, transA: t.transA, transB: t.transB)
    let c = n.hasInput(2) ? try n.input(2) : nil
    let cValues = c?.floats ?? []
    let cDims = c.map { Array(repeating: 1, count: max(0, 2 - $0.dims.count)) + $0.dims } ?? []
    if let c, !([[], [1, 1], [1, cols], [m, 1], [m, cols]] as [[Int]]).contains(cDims) {
      throw n.error("C of shape \(c.dims) does not broadcast to [\(m), \(cols)]")
    }
    let out = Evaluate.floats(count: m * cols, a, b) { pa, pb, dst in
      cValues.withUnsafeBufferPointer { cp in
        let addend: GemmAddend
        switch cDims {
        case []: addend = .none
        case [1, 1]: addend = .scalar(cp.baseAddress!)
        case [1, cols]: addend = .row(cp.baseAddress!)
        case [m, 1]: addend = .column(cp.baseAddress!)
        default: addend = .full(cp.baseAddress!)
        }
        Reference.gemm(p, a: pa, b: pb, c: addend, output: dst)
      }
    }
    return [Tensor(floats: out, dims: [m, cols])]
  }

  static func lower(_ n: LoweringContext) throws {
    // A MatMul fused with its bias arrives as a FusedGemm without Gemm attributes: the defaults apply.
    let t = try Attributes(n)
    if t.transA { throw LoweringContext.Unsupported(reason: "transA") }
    let bias: [Float]?
    if n.hasInput(2) {
      let c = try n.constant(2)
      bias = c.floats.map { $0 * t.beta }
    } else {
      bias = nil
    }
    try lowerDense(n, transB: t.transB, alpha: t.alpha, bias: bias)
  }

  /// A Gemm or MatMul with a constant right operand: a dense step with weights [N, K], over
  /// every row of a `[batch, ..., K]` operand (a MatMul on channels-last activations).
  static func lowerDense(_ n: LoweringContext, transB: Bool, alpha: Float, bias: [Float]?) throws {
    let inDims = n.dims(n.x), outDims = n.dims(n.output)
    guard inDims.count >= 1, outDims.count == inDims.count, inDims.dropLast() == outDims.dropLast() else {
      throw LoweringContext.Unsupported(reason: "only [batch, ..., features] operands")
    }
    let (k, cols) = (inDims[inDims.count - 1], outDims[outDims.count - 1])
    let b = try n.constant(1)
    guard b.dims.count == 2 else { throw LoweringContext.Unsupported(reason: "right operand must be a 2-D constant") }
    guard b.dims == (transB ? [cols, k] : [k, cols]) else { throw n.error("weight shape \(b.dims) does not match \(k) → \(cols)") }
    // The dense kernel reads [N, K] rows: transpose [K, N] weights once, here.
    var weights = transB ? b.floats : try TransposeOp.transpose(b, [1, 0], n).floats
    if alpha != 1 { weights = weights.map { $0 * alpha } }
    var biasRef: WeightRef? = nil
    if let bias {
      guard bias.count == cols || bias.count == 1 else { throw LoweringContext.Unsupported(reason: "bias C must have one value per output") }
      biasRef = n.addWeights(bias.count == 1 ? Array(repeating: bias[0], count: cols) : bias)
    }
    n.emit(.dense(Dense(inFeatures: k, outFeatures: cols, rows: inDims.dropLast().reduce(1, *), weights: n.addWeights(weights), bias: biasRef,
                        activation: n.activation)), inputs: [n.x])
  }
}

/// MatMul with numpy semantics: 1-D operands gain and then lose a dim, batch dims broadcast.
enum MatMulOp: OperatorDefinition {
  static let opTypes = ["MatMul"]
  static let attributes: Set<String> = []

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

  static func lower(_ n: LoweringContext) throws {
    try GemmOp.lowerDense(n, transB: false, alpha: 1, bias: nil)
  }
}
