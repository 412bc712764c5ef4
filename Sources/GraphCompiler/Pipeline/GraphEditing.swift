import GraphIR

/// Small rewrites shared by the passes.
extension Graph {
  /// Replaces every use of value `old` by `new` (node inputs only).
  mutating func replaceUses(of old: String, with new: String) {
    for i in nodes.indices {
      for j in nodes[i].inputs.indices where nodes[i].inputs[j] == old { nodes[i].inputs[j] = new }
    }
  }

  /// Whether `value` is a graph output.
  func isOutput(_ value: String) -> Bool { outputs.contains { $0.name == value } }

  /// The single node consuming `value`, when exactly one node reads it once and it is not a graph output.
  func soleConsumer(of value: String) -> Int? {
    guard !isOutput(value) else { return nil }
    let users = nodes.indices.filter { nodes[$0].inputs.contains(value) }
    guard users.count == 1, nodes[users[0]].inputs.filter({ $0 == value }).count == 1 else { return nil }
    return users[0]
  }

  /// Index of the node producing `value`.
  func producer(of value: String) -> Int? {
    nodes.firstIndex { $0.outputs.contains(value) }
  }

  /// A constant's value: an initializer.
  func constant(_ value: String) -> Tensor? {
    initializers[value]
  }
}
