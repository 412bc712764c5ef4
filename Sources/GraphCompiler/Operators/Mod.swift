import GraphIR
import GraphPlan
import GraphReference

/// Mod: the remainder of A / B with multidirectional broadcasting. `fmod=0` (the default, integers
/// only) takes the divisor's sign, as Python's `%`; `fmod=1` is C's `fmod`, the dividend's sign
/// (the only form ONNX allows on floats). Integer Mod folds at compile time (shape math); float
/// Mod with `fmod=1` also runs as a broadcasting binary step.
enum ModOp: OperatorDefinition {
  static let opTypes = ["Mod"]
  static let attributes: Set<String> = ["fmod"]
  static let folds = true
  static let lowersConstantFirstInput = true
  static let notes: String? = "integer Mod is evaluated at compile time only; float Mod needs fmod=1 (as ONNX requires) and runs as C's fmod."

  static func isFmod(_ n: some NodeOperands) throws -> Bool { try n.flag("fmod") }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A"), b = try n.input(1, "B")
    guard a.elementType == b.elementType else { throw n.error("operand types differ: A is \(a.elementType), B is \(b.elementType)") }
    let fmod = try isFmod(n)
    guard fmod || a.elementType.isInteger else {
      throw n.error("fmod=0 on \(a.elementType) operands: ONNX requires fmod=1 for floating-point Mod")
    }
    var out = ValueState(a.elementType, try ArithmeticOp.broadcastShape(n, a.shape, b.shape))
    if out.shape.rank <= 1, let x = a.fixedElements, let y = b.fixedElements, x.count == y.count || x.count == 1 || y.count == 1 {
      let values = (0..<max(x.count, y.count)).map { i in remainder(Int64(x[x.count == 1 ? 0 : i]), Int64(y[y.count == 1 ? 0 : i]), fmod: fmod) }
      if values.allSatisfy({ $0 != nil }) { out.elements = values.map { .fixed(Int($0!)) } }
    }
    return [out]
  }

  /// The integer remainder; nil for a zero divisor.
  static func remainder(_ a: Int64, _ b: Int64, fmod: Bool) -> Int64? {
    guard b != 0 else { return nil }
    // Int64.min % -1 overflows the quotient; its remainder is 0.
    let r = a.remainderReportingOverflow(dividingBy: b).overflow ? 0 : a % b
    return !fmod && r != 0 && (r < 0) != (b < 0) ? r + b : r
  }

  /// The floating remainder: `fmod`, or with the divisor's sign (NumPy's `mod`) for fmod=0.
  static func remainder(_ a: Double, _ b: Double, fmod: Bool) -> Double {
    let r = a.truncatingRemainder(dividingBy: b)
    return !fmod && r != 0 && (r < 0) != (b < 0) ? r + b : r
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let a = try n.input(0), b = try n.input(1), fmod = try isFmod(n)
    guard let shape = Broadcast.shape(a.dims, b.dims) else { throw n.error("shapes \(a.dims) and \(b.dims) do not broadcast") }
    switch (a.storage, b.storage) {
    case (.integers(let x), .integers(let y)):
      let values = try ElementwiseEvaluation.map(a.dims, b.dims, to: shape) { i, j in
        guard let r = remainder(x[i], y[j], fmod: fmod) else { throw n.error("integer Mod of \(x[i]) by 0") }
        return r
      }
      return [Tensor(dataType: a.dataType, dims: shape, storage: .integers(values))]
    case (.floats, .floats) where fmod:
      let out = try Evaluate.floats(count: shape.reduce(1, *), a, b) { pa, pb, d in
        try Reference.binary(.fmod, a: pa, aShape: a.dims, b: pb, bShape: b.dims, output: d)
      }
      return [Tensor(dataType: a.dataType, dims: shape, storage: .floats(out))]
    default:
      let x = ElementwiseEvaluation.doubles(a), y = ElementwiseEvaluation.doubles(b)
      let values = ElementwiseEvaluation.map(a.dims, b.dims, to: shape) { i, j in remainder(x[i], y[j], fmod: fmod) }
      return [Tensor(dataType: a.dataType, dims: shape, storage: .doubles(values)).converted(to: a.dataType)]
    }
  }

  static func lower(_ n: LoweringContext) throws {
    guard try isFmod(n) else { throw LoweringContext.Unsupported(reason: "fmod=0 runs only on integers, at compile time") }
    try ArithmeticOp.lowerBinary(n, .fmod)
  }
}
