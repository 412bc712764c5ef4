import GraphIR
import GraphPlan
import GraphReference

/// An element-wise activation: same shape out, one plan ``Activation`` that a
/// standalone step runs and a conv or dense step can take as its epilogue.
/// A new activation op is one such type plus the activation's kernels.
protocol ActivationOperator: OperatorDefinition {
  /// The activation `n` applies (its attributes and constant inputs read here, once).
  static func activation(_ n: some NodeOperands) throws -> Activation
}

extension ActivationOperator {
  static func fusableActivation(_ n: some NodeOperands) throws -> Activation? { try activation(n) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    return [ValueState(x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let a = try activation(n)
    let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
      Reference.activation(a, src, count: x.elementCount, output: dst)
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    n.emit(.activation(try activation(n)), inputs: [n.x])
  }
}

/// Relu: `max(x, 0)`.
enum ReluOp: ActivationOperator {
  static let opTypes = ["Relu"]
  static let attributes: Set<String> = []
  static let folds = true
  static func activation(_ n: some NodeOperands) throws -> Activation { .relu }
}

/// Clip: bounds are attributes before opset 11 and optional scalar constant inputs from 11 on.
enum ClipOp: ActivationOperator {
  static let opTypes = ["Clip"]
  static let attributes: Set<String> = ["min", "max"]

  static func activation(_ n: some NodeOperands) throws -> Activation {
    var lo = -Float.infinity, hi = Float.infinity
    if n.opset < 11 {
      lo = try n.node.float("min", default: -.greatestFiniteMagnitude)
      hi = try n.node.float("max", default: .greatestFiniteMagnitude)
    } else {
      lo = try n.knownScalar(1, "min") ?? lo
      hi = try n.knownScalar(2, "max") ?? hi
    }
    return .clip(min: lo, max: hi)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    if n.opset >= 11 {
      for (i, role) in [(1, "min"), (2, "max")] {
        guard let bound = n.optionalInput(i) else { continue }
        guard bound.shape.rank == 0 || (bound.shape.rank == 1 && bound.shape[0] == .fixed(1)) else {
          throw n.error("\(role) must be a scalar, has shape \(bound.shape)")
        }
        guard bound.elementType == x.elementType else {
          throw n.error("\(role) is \(bound.elementType), input is \(x.elementType)")
        }
      }
    } else {
      _ = try activation(n)
    }
    return [ValueState(x.elementType, x.shape)]
  }
}
