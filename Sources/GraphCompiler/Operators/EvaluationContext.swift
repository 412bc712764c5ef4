import GraphIR

/// One node with concrete input tensors: what ``OperatorDefinition/evaluate(_:)`` computes from.
struct EvaluationContext: NodeOperands {
  let node: Node
  let opset: Int
  /// Per input position; nil for an omitted optional input.
  let inputs: [Tensor?]

  func knownValue(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }

  /// Input `i`, which the op requires.
  func input(_ i: Int) throws -> Tensor {
    guard let t = knownValue(i) else { throw error("missing input \(i)") }
    guard t.isLoaded else { throw error("input \(i) ('\(node.inputs[i])') has no data") }
    return t
  }

  /// Every input, all required.
  func allInputs() throws -> [Tensor] { try inputs.indices.map(input) }
}
