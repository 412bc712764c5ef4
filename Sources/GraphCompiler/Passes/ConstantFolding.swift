import GraphIR

/// Evaluates every node whose inputs are all constants (and `Shape` of a value
/// whose shape is fully known), turning its outputs into initializers.
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
    if node.opType == "Shape", node.domain.isEmpty, let shape = context.shapes[node.inputs.first ?? ""]?.fixedDims {
      var dims = shape
      let rank = dims.count
      func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
      let start = clamp(try node.int("start", default: 0)), end = clamp(try node.int("end", default: rank))
      dims = start < end ? Array(dims[start..<end]) : []
      return [Tensor(int64s: dims.map(Int64.init), dims: [dims.count])]
    }
    let inputs = node.inputs.map { $0.isEmpty ? nil : graph.initializers[$0] }
    for (name, value) in zip(node.inputs, inputs) where !name.isEmpty && (value == nil || !value!.isLoaded) { return nil }
    return try ConstantEvaluator.evaluate(node, inputs, opset: context.model.opsetVersion)
  }
}
