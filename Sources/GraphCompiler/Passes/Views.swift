import GraphIR

/// Turns Flatten, Reshape, Squeeze and Unsqueeze into views that copy nothing:
/// their output aliases their input's buffer with the shape already inferred.
public struct Views: Pass {
  public let name = "views"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    for i in graph.nodes.indices where graph.nodes[i].domain.isEmpty
      && OperatorRegistry.byOp[graph.nodes[i].opType] is any ViewOperator.Type
    {
      var node = graph.nodes[i]
      node.attributes = ["from": .string(node.opType)]
      node.domain = CompilerOps.domain
      node.opType = CompilerOps.view
      node.inputs = [node.inputs[0]]  // the shape input (and its Shape/Gather chain) becomes dead
      graph.nodes[i] = node
    }
    context.graph = graph
    try DeadCodeElimination().run(context)
  }
}
