import GraphIR

/// Drops nodes that do nothing at inference: Dropout (its mask unused) and Identity.
public struct RemoveNoOps: Pass {
  public let name = "remove-noops"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    var index = 0
    while index < graph.nodes.count {
      let node = graph.nodes[index]
      guard node.domain.isEmpty, node.opType == "Identity" || node.opType == "Dropout",
        let source = node.input(0), let out = node.outputs.first
      else { index += 1; continue }
      if node.opType == "Dropout" {
        if node.outputs.count > 1, !node.outputs[1].isEmpty, graph.nodes.contains(where: { $0.inputs.contains(node.outputs[1]) }) || graph.isOutput(node.outputs[1]) {
          throw GraphError.node(node, "the Dropout mask output is used; it has no meaning at inference")
        }
        if let mode = node.input(2), let t = graph.initializers[mode], t.int64s.first ?? 0 != 0 {
          throw GraphError.node(node, "Dropout in training mode cannot be compiled for inference")
        }
      }
      if graph.isOutput(out) {
        // Keep the graph output's name: rename the source's producer instead, when it has one.
        guard let p = graph.producer(of: source), !graph.isOutput(source) else { index += 1; continue }
        graph.nodes[p].outputs = graph.nodes[p].outputs.map { $0 == source ? out : $0 }
        graph.replaceUses(of: source, with: out)
        context.shapes[out] = context.shapes[source] ?? context.shapes[out]
      } else {
        graph.replaceUses(of: out, with: source)
      }
      graph.nodes.remove(at: index)
    }
    context.graph = graph
  }
}
