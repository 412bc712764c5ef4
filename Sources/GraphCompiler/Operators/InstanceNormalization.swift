import GraphIR
import GraphPlan
import GraphReference

/// InstanceNormalization (opset 6+; style-transfer and GAN exports): each `(n, c)` plane of
/// `X [N, C, D1, ...]` is normalized over its spatial dims, then `y = scale[c] * x̂ + B[c]`.
/// Lowered onto existing steps: a layer norm over the per-item axes from 1 (each channel's plane a
/// row, unit scale), then the per-channel affine BatchNormalization runs as.
enum InstanceNormalizationOp: OperatorDefinition {
  static let opTypes = ["InstanceNormalization"]
  static let attributes: Set<String> = ["epsilon"]
  static let notes: String? = "scale and B must be constants."

  static func epsilon(_ n: some NodeOperands) throws -> Float {
    let epsilon = try n.node.float("epsilon", default: 1e-5)
    guard epsilon >= 0 else { throw n.error("epsilon must not be negative, is \(epsilon)") }
    return epsilon
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 3 else { throw n.error("input must be [N, C, D1, ...] (rank 3 or more), has shape \(x.shape)") }
    for (i, role) in [(1, "scale"), (2, "B")] {
      let p = try n.input(i, role)
      guard p.shape.rank == 1, n.unify(p.shape[0], x.shape[1]) != nil else {
        throw n.error("\(role) has shape \(p.shape), expected [\(x.shape[1])] for input \(x.shape)")
      }
    }
    _ = try epsilon(n)
    return [ValueState(x.elementType, x.shape)]
  }

  /// Scale and B as `channels` floats each; both must be known when compiling.
  static func parameters(_ n: some NodeOperands, channels: Int) throws -> (scale: [Float], bias: [Float]) {
    var values: [[Float]] = []
    for (i, role) in [(1, "scale"), (2, "B")] {
      guard let t = n.knownValue(i), t.isLoaded else {
        throw n.error("\(role) (input \(i), '\(n.node.inputs[i])') must be a constant known at compile time")
      }
      guard t.count == channels else { throw n.error("\(role) must hold \(channels) values (one per channel), has \(t.count)") }
      values.append(t.floats)
    }
    return (values[0], values[1])
  }

  /// Each plane's mean and variance in Double, as the spec writes it.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count >= 3 else { throw n.error("input must be [N, C, D1, ...], has \(x.dims)") }
    let channels = x.dims[1], plane = x.dims.dropFirst(2).reduce(1, *)
    let (scale, bias) = try parameters(n, channels: channels)
    let eps = Double(try epsilon(n)), values = x.floats
    var out = [Float](repeating: 0, count: values.count)
    for p in 0..<(x.dims[0] * channels) where plane > 0 {
      let c = p % channels, range = (p * plane)..<((p + 1) * plane)
      let mean = range.reduce(0.0) { $0 + Double(values[$1]) } / Double(plane)
      let variance = range.reduce(0.0) { $0 + (Double(values[$1]) - mean) * (Double(values[$1]) - mean) } / Double(plane)
      let inverse = 1 / (variance + eps).squareRoot()
      for i in range { out[i] = Float(Double(scale[c]) * (Double(values[i]) - mean) * inverse + Double(bias[c])) }
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    guard dims.count >= 2 else { throw LoweringContext.Unsupported(reason: "needs [N, C, D1, ...]") }
    let (scale, bias) = try parameters(n, channels: dims[0])
    let plane = dims.dropFirst().reduce(1, *)
    let normalized = n.output + "#normalized"
    n.newValue(normalized, dims: dims)
    n.emit(.layerNorm(axis: 1, epsilon: try epsilon(n), scale: n.addWeights(Array(repeating: 1, count: plane)), bias: nil),
           inputs: [n.x], output: normalized)
    n.emit(.channelAffine(scale: n.addWeights(scale), shift: n.addWeights(bias), activation: .none), inputs: [normalized])
  }
}
