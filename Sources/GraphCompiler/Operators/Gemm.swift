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
  /// For `graphc ops` and docs/ops.md (the `notes` requirement arrives with the conv-nd branch).
  static let notes: String? =
    "B must be a constant; transA only where A has no batch (fixed shapes); a C of one value per column is fused as a bias, a C with rows (or computed at run time, with beta 1) is added after the product."

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

  /// A dense step; `transA` transposes A first, and a C that is not one value per column
  /// (a matrix, a column, a run-time value) is added by a binary step after the product.
  static func lower(_ n: LoweringContext) throws {
    // A MatMul fused with its bias arrives as a FusedGemm without Gemm attributes: the defaults apply.
    let t = try Attributes(n)
    var a = n.x
    if t.transA {
      // A is [K, M]: its rows are not the output's, so only a whole A (no batch) is transposed.
      guard n.whole else { throw LoweringContext.Unsupported(reason: "transA") }
      let d = n.dims(n.x)
      a = n.output + "#a-transposed"
      n.newValue(a, dims: [d[1], d[0]])
      n.emit(.transpose(perm: [1, 0]), inputs: [n.x], output: a)
    }
    guard n.hasInput(2) else { return try lowerDense(n, input: a, transB: t.transB, alpha: t.alpha, bias: nil) }
    let cName = n.node.inputs[2], cols = n.dims(n.output).last ?? 1
    if !n.isComputed(cName) {
      let c = try n.constant(2)
      if c.elementCount == 1 || c.elementCount == cols && c.dims.last == cols {
        return try lowerDense(n, input: a, transB: t.transB, alpha: t.alpha, bias: c.floats.map { $0 * t.beta })
      }
    }
    // C has rows: the output's rows are the batch unless the node runs whole.
    guard n.whole else { throw LoweringContext.Unsupported(reason: "bias C with rows") }
    let product = n.output + "#product"
    n.newValue(product, dims: n.dims(n.output))
    try lowerDense(n, input: a, transB: t.transB, alpha: t.alpha, bias: nil, output: product, activation: Activation.none)
    let add: Binary
    if n.isComputed(cName) {
      guard t.beta == 1 else { throw LoweringContext.Unsupported(reason: "beta with a run-time C") }
      add = Binary(op: .add, leftDims: n.dims(product), rightDims: n.dims(cName), constant: nil, constantIsLeft: false, activation: n.activation)
      n.emit(.binary(add), inputs: [product, cName])
    } else {
      let c = try n.constant(2)
      add = Binary(
        op: .add, leftDims: n.dims(product), rightDims: c.dims, constant: n.addWeights(c.floats.map { $0 * t.beta }), constantIsLeft: false,
        activation: n.activation)
      n.emit(.binary(add), inputs: [product])
    }
  }

  /// A Gemm or MatMul with a constant right operand: a dense step with weights [N, K], over
  /// every row of a `[batch, ..., K]` operand (a MatMul on channels-last activations).
  static func lowerDense(
    _ n: LoweringContext, input: String? = nil, transB: Bool, alpha: Float, bias: [Float]?, output: String? = nil, activation: Activation? = nil
  ) throws {
    let (input, output) = (input ?? n.x, output ?? n.output)
    let inDims = n.dims(input), outDims = n.dims(output)
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
                        activation: activation ?? n.activation)), inputs: [input], output: output)
  }
}
