import GraphIR

/// One node with what is known about its inputs, and helpers that turn every
/// problem into a ``GraphError`` naming the node.
struct NodeContext: NodeOperands {
  let node: Node
  /// Default-domain opset version of the model: several ops changed meaning across versions.
  let opset: Int
  /// Per input position; nil for an omitted optional input.
  let inputs: [ValueState?]

  /// Input `i`, which the op requires.
  func input(_ i: Int, _ role: String) throws -> ValueState {
    guard let v = optionalInput(i) else { throw error("missing required input \(i) (\(role))") }
    return v
  }

  func optionalInput(_ i: Int) -> ValueState? {
    i < inputs.count ? inputs[i] : nil
  }

  /// Input `i` with rank `rank`.
  func input(_ i: Int, _ role: String, rank: Int) throws -> ValueState {
    let v = try input(i, role)
    guard v.shape.rank == rank else {
      throw error("\(role) must have rank \(rank), has shape \(v.shape) (rank \(v.shape.rank))")
    }
    return v
  }

  func knownValue(_ i: Int) -> Tensor? { optionalInput(i)?.constant }

  /// Known integer values, possibly derived from shapes (Shape -> Gather -> Concat).
  func knownInts(_ i: Int, _ role: String) throws -> [Int]? {
    guard let v = optionalInput(i) else { return nil }
    if let values = v.fixedElements { return values }
    guard let constant = v.constant else {
      throw error("\(role) (input \(i), '\(node.inputs[i])') must be a constant integer tensor known at compile time")
    }
    return try wholeNumbers(constant, i, role)
  }

  /// A new symbol for a dim that depends on a symbolic input in a way a symbol cannot express
  /// (a slice of a symbolic dim, a Range with run-time bounds).
  func freshSymbol(output: Int = 0, dim: Int) -> Dim {
    let base = output < node.outputs.count && !node.outputs[output].isEmpty ? node.outputs[output] : node.name
    return .symbol("\(base)_d\(dim)")
  }

  /// Two dims that must agree: equal, or at least one symbolic (then the fixed one wins).
  func unify(_ a: Dim, _ b: Dim) -> Dim? {
    switch (a, b) {
    case (.fixed(let x), .fixed(let y)): return x == y ? a : nil
    case (.fixed, .symbol): return a
    case (.symbol, .fixed): return b
    // Different symbols may still be equal at run time; keep the first name.
    case (.symbol, .symbol): return a
    }
  }
}
