import GraphIR
import GraphPlan

/// Pow: `X^Y` with multidirectional broadcasting, as C's `powf` (what onnxruntime computes: a
/// negative base takes integer exponents only, `x^0 = 1`, `1^y = 1`). A one-element constant
/// exponent (the decomposed LayerNorm's `Pow(x - mean, 2)`) is an activation, so it fuses into a
/// conv or dense epilogue and squares and square roots skip `powf`; any other exponent — a
/// constant of any shape that broadcasts, or a run-time tensor — is a broadcasting binary step.
/// Y may have another element type than X (an int64 exponent of a float base); the result has X's.
enum PowOp: OperatorDefinition {
  static let opTypes = ["Pow"]
  static let attributes: Set<String> = []
  /// Opset-6 broadcasting of Y, as Add's.
  static let legacyAttributes = ["broadcast": 7, "axis": 7]
  static let folds = true
  static let lowersConstantFirstInput = true

  /// Y when it is a one-element constant: broadcasting it moves no value of X.
  static func scalarExponent(_ n: some NodeOperands) -> Float? {
    guard let y = n.knownValue(1), y.isLoaded, y.count == 1 else { return nil }
    return y.floats[0]
  }

  static func fusableActivation(_ n: some NodeOperands) throws -> Activation? {
    scalarExponent(n).map { .power($0) }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    let y = try n.input(1, "Y")
    return [ValueState(x.elementType, try ArithmeticOp.broadcastShape(n, x.shape, y.shape))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let (x, y) = (try n.input(0), try n.input(1))
    // The float arithmetic would give a float result where ONNX wants X's integer type.
    guard !x.dataType.isInteger || y.dataType.isInteger else {
      throw n.error("an integer base X (\(x.dataType)) with a \(y.dataType) exponent Y is not supported")
    }
    return try ArithmeticOp.evaluate(n, .pow)
  }

  static func lower(_ n: LoweringContext) throws {
    if n.isComputed(n.x), let exponent = scalarExponent(n) {
      return n.emit(.activation(.power(exponent)), inputs: [n.x])
    }
    try ArithmeticOp.lowerBinary(n, .pow)
  }
}
