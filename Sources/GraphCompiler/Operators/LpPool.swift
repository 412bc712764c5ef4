import GraphIR
import GraphPlan
import GraphReference

/// LpPool: `[N, C, d1..dk]` to `[N, C, o1..ok]` under the window attributes, each output the p-norm
/// `(Σ |x|^p)^(1/p)` of its window's taps (padding counts as 0). No kernel of its own: it lowers
/// to `|x|^p` (a product for p = 2), the average pool that counts the padding, and that mean
/// times the window's taps raised to 1/p. The mean's divisor is the window's taps wherever the
/// window lies inside the padded input, which is every window except those `ceil_mode` lets past
/// its end: those are refused.
enum LpPoolOp: PoolOperator {
  static let opTypes = ["LpPool"]
  static let attributes: Set<String> = ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "p", "pads", "strides"]
  static let kind = PoolKind.average
  static let notes: String? = "1 to 8 spatial axes; integer p ≥ 1; not with ceil_mode windows that pass the padded input."

  /// `p`, a float in opset 1 (taken when it is a whole number) and an int from opset 2.
  static func p(_ n: some NodeOperands) throws -> Int {
    if n.opset < 2, case .float(let f)? = n.node.attributes["p"] {
      // The bound only keeps the conversion to Int from trapping; |x|^p overflows long before.
      guard f == f.rounded(), f >= 1, f <= 1e6 else { throw n.error("p must be a whole number from 1 to 1e6, is \(f)") }
      return Int(f)
    }
    let p = try n.node.int("p", default: 2)
    guard p >= 1 else { throw n.error("p must be 1 or more, is \(p)") }
    return p
  }

  /// The per-item geometry over `input` and the window's taps, after checking that every window
  /// lies inside the padded input.
  static func geometryAndTaps(_ n: some NodeOperands, input: [Int]) throws -> (PoolNDGeometry, taps: Int) {
    let (g, _) = try geometryND(n, input: input)
    let w = g.window
    for axis in g.inSizes.indices {
      let end = (g.outSizes[axis] - 1) * w.strides[axis] + (w.kernel[axis] - 1) * w.dilations[axis] + 1
      guard end <= w.padsBegin[axis] + g.inSizes[axis] + w.padsEnd[axis] else {
        throw n.error("ceil_mode lets the last window along spatial axis \(axis) pass the padded input, which LpPool does not support")
      }
    }
    return (g, w.kernel.reduce(1, *))
  }

  /// The root that finishes the norm: none for p = 1, a square root for p = 2.
  static func root(_ p: Int) -> Activation { p == 1 ? .none : p == 2 ? .sqrt : .power(1 / Float(p)) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    _ = try p(n)
    return [try pooled(n)]
  }

  /// As the lowering computes it: the mean of `|x|^p` over the padded window, times its taps.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count >= 3 else { throw n.error("input must have rank 3 or more (batch, channels, spatial), has \(x.dims)") }
    let p = try p(n), item = Array(x.dims.dropFirst())
    let (g, taps) = try geometryAndTaps(n, input: item)
    let parameters = PoolNDParameters(kind: .average, geometry: g, countIncludePad: true, batch: x.dims[0])
    try parameters.validate()
    let magnitudes = x.floats.map { p == 2 ? $0 * $0 : abs($0) }
    var powers = magnitudes
    if p > 2 { Reference.activation(.power(Float(p)), magnitudes, count: magnitudes.count, output: &powers) }
    let powered = Tensor(floats: powers, dims: x.dims)
    let means = Evaluate.floats(count: parameters.outputTensorCount, powered) { Reference.poolND(parameters, input: $0, output: $1) }
    let sums = means.map { Float(taps) * $0 }
    var norms = [Float](repeating: 0, count: sums.count)
    Reference.activation(root(p), sums, count: sums.count, output: &norms)
    return [Tensor(floats: norms, dims: [parameters.batch, g.channels] + g.outSizes)]
  }

  static func lower(_ n: LoweringContext) throws {
    let inDims = n.dims(n.x), outDims = n.dims(n.output), p = try p(n)
    let (_, taps) = try geometryAndTaps(n, input: inDims)
    let powered = n.output + "#powered"
    n.newValue(powered, dims: inDims)
    if p == 2 {
      n.emit(.binary(Binary(op: .mul, leftDims: inDims, rightDims: inDims, constant: nil, constantIsLeft: false, activation: .none)),
             inputs: [n.x, n.x], output: powered)
    } else if p == 1 {
      n.emit(.activation(.abs), inputs: [n.x], output: powered)
    } else {
      let magnitudes = n.output + "#magnitudes"
      n.newValue(magnitudes, dims: inDims)
      n.emit(.activation(.abs), inputs: [n.x], output: magnitudes)
      n.emit(.activation(.power(Float(p))), inputs: [magnitudes], output: powered)
    }
    let means = try emitPool(n, kind: .average, countIncludePad: true, input: powered, output: n.output + "#means")
    n.emit(.binary(Binary(
      op: .mul, leftDims: outDims, rightDims: [1], constant: n.addWeights([Float(taps)]), constantIsLeft: false, activation: root(p))),
      inputs: [n.view(of: means, dims: outDims)])
  }
}
