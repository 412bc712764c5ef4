import GraphIR
import GraphPlan
import GraphReference

/// Sign, IsNaN and IsInf: what kind of number each element is. They fold on constants of every
/// element type (integers and float64 exactly); at run time each is one plan ``Activation``,
/// IsNaN and IsInf writing their bool as float 0/1 the way the comparisons do.
protocol NumberClassOperator: ActivationOperator {
  /// Whether the result is a bool (IsNaN, IsInf), not a number of the input's type (Sign).
  static var isPredicate: Bool { get }
}

extension NumberClassOperator {
  static var folds: Bool { true }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.elementType != .bool else { throw n.error("X must be a number, is bool") }
    return [ValueState(isPredicate ? .bool : x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let type = isPredicate ? DataType.bool : x.dataType
    let a = try activation(n)
    switch x.storage {
    // An integer is never NaN or infinite.
    case .integers(let v): return [Tensor(dataType: type, dims: x.dims, storage: .integers(a == .sign ? v.map { $0.signum() } : v.map { _ in 0 }))]
    case .doubles(let v):
      let out = v.map { exact(a, $0) }
      return [Tensor(dataType: type, dims: x.dims, storage: isPredicate ? .integers(out.map { Int64($0) }) : .doubles(out))]
    case .floats, .unloaded:
      let out = Evaluate.floats(count: x.elementCount, x) { src, dst in Reference.activation(a, src, count: x.elementCount, output: dst) }
      return [Tensor(dataType: type, dims: x.dims, storage: isPredicate ? .integers(out.map { Int64($0) }) : .floats(out))]
    }
  }

  /// The activation on a float64, in float64.
  static func exact(_ a: Activation, _ v: Double) -> Double {
    switch a {
    case .sign: return v > 0 ? 1 : v < 0 ? -1 : v
    case .isNaN: return v.isNaN ? 1 : 0
    case .isInf(let negative, let positive): return (positive && v == .infinity) || (negative && v == -.infinity) ? 1 : 0
    default: return v
    }
  }
}

/// Sign: 1, -1 or 0 (NaN stays NaN).
enum SignOp: NumberClassOperator {
  static let opTypes = ["Sign"]
  static let attributes: Set<String> = []
  static let isPredicate = false
  static func activation(_ n: some NodeOperands) throws -> Activation { .sign }
}

/// IsNaN: whether each element is NaN (never, for integers).
enum IsNaNOp: NumberClassOperator {
  static let opTypes = ["IsNaN"]
  static let attributes: Set<String> = []
  static let isPredicate = true
  static func activation(_ n: some NodeOperands) throws -> Activation { .isNaN }
}

/// IsInf: whether each element is +inf (`detect_positive`, default 1) or -inf (`detect_negative`, default 1).
enum IsInfOp: NumberClassOperator {
  static let opTypes = ["IsInf"]
  static let attributes: Set<String> = ["detect_negative", "detect_positive"]
  static let isPredicate = true
  static func activation(_ n: some NodeOperands) throws -> Activation {
    .isInf(negative: try n.node.int("detect_negative", default: 1) != 0, positive: try n.node.int("detect_positive", default: 1) != 0)
  }
}
