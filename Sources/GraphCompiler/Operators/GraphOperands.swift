import GraphIR

/// A node with the graph's constants as its known inputs: how passes and lowering read an op's parameters.
struct GraphOperands: NodeOperands {
  let node: Node
  let opset: Int
  let graph: Graph

  func knownValue(_ i: Int) -> Tensor? {
    guard let name = node.input(i), let t = graph.initializers[name], t.isLoaded else { return nil }
    return t
  }
}
