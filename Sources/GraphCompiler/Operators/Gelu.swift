import GraphIR
import GraphPlan

/// Gelu (opset 20): `x / 2 * (1 + erf(x / sqrt(2)))`, or with `approximate="tanh"` its tanh
/// form. The same definition serves `graphc.GELU`, which fusion makes from the exporters'
/// decomposed forms (`Div`/`Erf`/`Add`/`Mul`/`Mul`, and the tanh form's `Pow`/`Tanh` chain) at
/// any opset, so that GELU too fuses into the conv or dense step before it.
enum GeluOp: ActivationOperator {
  static let opTypes = ["Gelu"]
  static let attributes: Set<String> = ["approximate"]
  static let folds = true

  static func activation(_ n: some NodeOperands) throws -> Activation {
    if n.node.domain != CompilerOps.domain, n.opset < 20 {
      throw n.error("Gelu exists from opset 20; the model imports opset \(n.opset)")
    }
    switch try n.node.string("approximate", default: "none") {
    case "none": return .gelu
    case "tanh": return .geluTanh
    case let other: throw n.error("approximate must be \"none\" or \"tanh\", not \"\(other)\"")
    }
  }

  /// The compiler node for `activation` (``Activation/gelu`` or ``Activation/geluTanh``).
  static func node(_ activation: Activation, name: String, input: String, output: String) -> Node {
    var node = Node(name: name, opType: CompilerOps.gelu, domain: CompilerOps.domain, inputs: [input], outputs: [output])
    if activation == .geluTanh { node.attributes["approximate"] = .string("tanh") }
    return node
  }
}
