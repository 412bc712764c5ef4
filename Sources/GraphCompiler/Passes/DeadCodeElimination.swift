import GraphIR

/// Removes nodes whose outputs nobody reads and constants no node uses.
public struct DeadCodeElimination: Pass {
  public let name = "dead-code"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    var live = Set(graph.outputs.map(\.name))
    var kept: [Node] = []
    for node in graph.nodes.reversed() where node.outputs.contains(where: live.contains) {
      kept.append(node)
      node.inputs.forEach { live.insert($0) }
    }
    graph.nodes = kept.reversed()
    graph.initializers = graph.initializers.filter { live.contains($0.key) }
    context.graph = graph
  }
}
