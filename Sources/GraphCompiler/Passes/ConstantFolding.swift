import GraphIR

/// Evaluates every node whose operator folds and whose inputs are all constants
/// (or, for `Shape`, whose input's shape is fully known), turning its outputs into initializers.
public struct ConstantFolding: Pass {
  public let name = "constant-fold"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    var kept: [Node] = []
    for node in graph.nodes {
      if let results = try fold(node, graph, context) {
        for (name, tensor) in zip(node.outputs, results) where !name.isEmpty { graph.initializers[name] = tensor }
      } else {
        kept.append(node)
      }
    }
    graph.nodes = kept
    context.graph = graph
  }

  private func fold(_ node: Node, _ graph: Graph, _ context: CompilationContext) throws -> [Tensor]? {
    guard OperatorRegistry.isDefaultDomain(node.domain), let definition = OperatorRegistry.byOp[node.opType],
      definition.folds
    else { return nil }
    var inputs: [Tensor?] = []
    for name in node.inputs {
      if name.isEmpty { inputs.append(nil); continue }
      if let t = graph.initializers[name], t.isLoaded {
        inputs.append(t)
      } else if definition.foldsFromShapes, let dims = context.shapes[name]?.fixedDims {
        inputs.append(Tensor(dataType: .float, dims: dims, storage: .unloaded))  // only its shape is read
      } else {
        return nil
      }
    }
    return try definition.evaluate(EvaluationContext(node: node, opset: context.model.opsetVersion, inputs: inputs))
  }
}
