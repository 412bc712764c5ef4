import GraphIR

/// Drops nodes that do nothing at inference: Dropout and Identity. A Dropout whose mask is read
/// stays, and lowers to a copy and an all-true mask (what the mask is at inference).
public struct RemoveNoOps: Pass {
  public let name = "remove-noops"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = GraphRewriter(context.graph)
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let node = graph[index]
      guard node.domain.isEmpty, node.opType == "Identity" || node.opType == "Dropout",
        let source = node.input(0), let out = node.outputs.first
      else { continue }
      if node.opType == "Dropout" {
        // In training mode it drops values at random, unless its ratio is 0: then it is the identity too.
        if let mode = node.input(2), let t = graph.constant(mode), t.int64s.first ?? 0 != 0,
          node.input(1).flatMap(graph.constant)?.floats != [0]
        {
          throw GraphError.node(node, "Dropout in training mode (with a ratio other than a constant 0) drops values at random: it cannot be compiled for inference")
        }
        if node.outputs.count > 1, !node.outputs[1].isEmpty, graph.isRead(node.outputs[1]) || graph.isOutput(node.outputs[1]) {
          continue
        }
      }
      if graph.isOutput(out) {
        // Keep the graph output's name: rename the source's producer instead, when it has one.
        guard let p = graph.producer(of: source), !graph.isOutput(source) else { continue }
        graph.remove(index)
        var producer = graph[p]
        producer.outputs = producer.outputs.map { $0 == source ? out : $0 }
        graph.replace(p, with: producer)
        graph.replaceUses(of: source, with: out)
        context.shapes[out] = context.shapes[source] ?? context.shapes[out]
      } else {
        graph.remove(index)
        graph.replaceUses(of: out, with: source)
      }
    }
    context.graph = graph.finish()
  }
}
