import GraphIR

/// Drops the shape inputs that inference already answered (``OperatorDefinition/shapeInputs``)
/// when they are computed rather than constant: `Expand(class_token, [N, 1, 1])` has its target
/// in the output's inferred shape, and the integer chain computing `[N, 1, 1]` from the batch
/// (Shape, Gather, Concat, Where) cannot run: it becomes dead and goes.
public struct ShapeInputs: Pass {
  public let name = "shape-inputs"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    for i in graph.nodes.indices {
      guard let definition = OperatorRegistry.definition(for: graph.nodes[i]) else { continue }
      for input in definition.shapeInputs where input < graph.nodes[i].inputs.count {
        let name = graph.nodes[i].inputs[input]
        if !name.isEmpty, graph.initializers[name] == nil { graph.nodes[i].inputs[input] = "" }
      }
    }
    context.graph = graph
    try DeadCodeElimination().run(context)
  }
}
