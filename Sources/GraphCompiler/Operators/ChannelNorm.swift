import GraphIR
import GraphPlan
import GraphReference

/// `graphc.ChannelNorm(x, scale, bias)`: LayerNormalization across the channels (axis 1) of an NCHW
/// value at each position, scaled and shifted per channel. The `channels-first` pass makes it from
/// `Transpose(x, [0, 2, 3, 1])` → LayerNormalization over the last axis → `Transpose([0, 3, 1, 2])`
/// (ConvNeXt's LayerNorm), so both transposes go.
enum ChannelNormOp: OperatorDefinition {
  static let opTypes: [String] = []
  static let attributes: Set<String> = ["epsilon"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    _ = try n.input(1, "Scale")
    return [ValueState(x.elementType, x.shape)]
  }

  /// Scale and bias as `channels` floats each.
  static func parameters(_ n: some NodeOperands, channels: Int) throws -> (scale: [Float], bias: [Float]?, epsilon: Float) {
    guard let scale = n.knownValue(1)?.floats, scale.count == channels else { throw n.error("Scale must be \(channels) constants") }
    let bias = n.knownValue(2)?.floats
    guard bias == nil || bias?.count == channels else { throw n.error("B must be \(channels) constants") }
    return (scale, bias, try n.node.float("epsilon", default: 1e-5))
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count >= 2 else { throw n.error("needs [N, C, ...], has \(x.dims)") }
    let channels = x.dims[1]
    let (scale, bias, epsilon) = try parameters(n, channels: channels)
    let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
      scale.withUnsafeBufferPointer { s in
        let b = bias ?? []
        b.withUnsafeBufferPointer { b in
          Reference.channelNormalization(
            src, items: x.dims[0], channels: channels, spatial: x.elementCount / max(1, x.dims[0] * channels), epsilon: epsilon,
            scale: s.baseAddress!, bias: bias == nil ? nil : b.baseAddress!, output: dst)
        }
      }
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    guard let channels = dims.first else { throw LoweringContext.Unsupported(reason: "needs a channel axis") }
    let (scale, bias, epsilon) = try parameters(n, channels: channels)
    n.emit(.channelNorm(epsilon: epsilon, scale: n.addWeights(scale), bias: bias.map(n.addWeights)), inputs: [n.x])
  }
}
