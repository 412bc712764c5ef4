import GraphIR
import GraphPlan
import GraphReference

/// LRN: local response normalization across channels of `[N, C, ...]`; `size` is required.
enum LRNOp: OperatorDefinition {
  static let opTypes = ["LRN"]
  static let attributes: Set<String> = ["alpha", "beta", "bias", "size"]

  /// LRN's attributes, read once.
  struct Attributes {
    var size: Int, alpha: Float, beta: Float, bias: Float

    init(_ n: some NodeOperands) throws {
      guard let size = try n.node.int("size") else { throw n.error("attribute size is required") }
      guard size >= 1 else { throw n.error("size \(size) must be positive") }
      self.size = size
      alpha = try n.node.float("alpha", default: 0.0001)
      beta = try n.node.float("beta", default: 0.75)
      bias = try n.node.float("bias", default: 1)
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.shape.rank >= 3 else { throw n.error("X must have rank 3 or more, has shape \(x.shape)") }
    _ = try Attributes(n)
    return [ValueState(x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let a = try Attributes(n)
    guard x.dims.count >= 3 else { throw n.error("X must have rank 3 or more") }
    let (batch, channels) = (x.dims[0], x.dims[1])
    let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
      Reference.lrn(src, batch: batch, channels: channels, spatial: x.dims.dropFirst(2).reduce(1, *),
                    size: a.size, alpha: a.alpha, beta: a.beta, bias: a.bias, output: dst)
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let a = try Attributes(n)
    n.emit(.lrn(size: a.size, alpha: a.alpha, beta: a.beta, bias: a.bias), inputs: [n.x])
  }
}
