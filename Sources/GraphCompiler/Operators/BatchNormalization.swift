import GraphIR
import GraphPlan
import GraphReference

/// BatchNormalization (inference): `X [N, C, ...]` with scale, bias, mean and variance of shape `[C]`.
/// Usually folded into the preceding Conv or Gemm; otherwise a per-channel scale and shift.
enum BatchNormalizationOp: OperatorDefinition {
  static let opTypes = ["BatchNormalization"]
  static let attributes: Set<String> = ["epsilon", "momentum", "training_mode", "spatial"]
  /// Must be 1 (inference), which OperatorRegistry.check enforces.
  static let legacyAttributes = ["is_test": 7]

  static func epsilon(_ n: some NodeOperands) throws -> Float { try n.node.float("epsilon", default: 1e-5) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.shape.rank >= 2 else { throw n.error("X must have rank 2 or more, has shape \(x.shape)") }
    let channels = x.shape[1]
    for (i, role) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
      let p = try n.input(i, role)
      guard p.shape.rank == 1, n.unify(p.shape[0], channels) != nil else {
        throw n.error("\(role) has shape \(p.shape), expected [\(channels)] for input \(x.shape)")
      }
    }
    // Training-mode outputs (running mean and variance) are per channel.
    let stat = ValueState(x.elementType, Shape([channels]))
    return [ValueState(x.elementType, x.shape), stat, stat, stat, stat]
  }

  /// `y = x * scale[c] + shift[c]` for `channels` channels, when the parameters are constants
  /// and only the first output is used.
  static func scaleShift(_ n: some NodeOperands, channels: Int) throws -> (scale: [Float], shift: [Float])? {
    guard n.node.outputs.count == 1 || n.node.outputs.dropFirst().allSatisfy(\.isEmpty) else { return nil }
    let params = (1...4).map { n.knownValue($0) }
    guard params.allSatisfy({ $0?.count == channels }) else { return nil }
    let (gamma, beta, mean, variance) = (params[0]!.floats, params[1]!.floats, params[2]!.floats, params[3]!.floats)
    let eps = try epsilon(n)
    var scale = [Float](repeating: 0, count: channels), shift = scale
    for c in 0..<channels {
      // Float64 keeps the folded weights within float32 rounding of the unfolded graph.
      let a = Double(gamma[c]) / (Double(variance[c]) + Double(eps)).squareRoot()
      scale[c] = Float(a)
      shift[c] = Float(Double(beta[c]) - Double(mean[c]) * a)
    }
    return (scale, shift)
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let (gamma, beta, mean, variance) = (try n.input(1).floats, try n.input(2).floats, try n.input(3).floats, try n.input(4).floats)
    guard x.dims.count >= 2 else { throw n.error("X must have rank 2 or more") }
    let (batch, channels) = (x.dims[0], x.dims[1])
    guard [gamma, beta, mean, variance].allSatisfy({ $0.count == channels }) else { throw n.error("parameters must have \(channels) values") }
    let eps = try epsilon(n)
    let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
      Reference.batchNormalization(src, batch: batch, channels: channels, spatial: x.dims.dropFirst(2).reduce(1, *),
                                   scale: gamma, bias: beta, mean: mean, variance: variance, epsilon: eps, output: dst)
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    guard let channels = dims.first, let (scale, shift) = try scaleShift(n, channels: channels) else {
      throw LoweringContext.Unsupported(reason: "its parameters must be constants")
    }
    n.emit(.channelAffine(scale: n.addWeights(scale), shift: n.addWeights(shift), activation: .none), inputs: [n.x])
  }
}
