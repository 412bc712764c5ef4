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

  /// Largest tensor folding may create (2^26 elements, 256 MiB of floats): a few-byte
  /// ConstantOfShape must not make the compiler allocate without bound.
  static let maxFoldedElements = 1 << 26

  private func fold(_ node: Node, _ graph: Graph, _ context: CompilationContext) throws -> [Tensor]? {
    guard OperatorRegistry.isDefaultDomain(node.domain), let definition = OperatorRegistry.byOp[node.opType],
      definition.folds
    else { return nil }
    for output in node.outputs where !output.isEmpty {
      guard let dims = context.shapes[output]?.fixedDims else { continue }
      if (DimProduct.of(dims.map(Dim.fixed))?.coefficient ?? Int.max) > Self.maxFoldedElements {
        throw GraphError.node(node, "its output \(dims) is too large to compute at compile time (limit \(Self.maxFoldedElements) elements)")
      }
    }
    var inputs: [Tensor?] = []
    for name in node.inputs {
      if name.isEmpty { inputs.append(nil); continue }
      if let t = graph.initializers[name], t.isLoaded {
        inputs.append(t)
      } else if definition.foldsFromShapes, let dims = context.shapes[name]?.fixedDims {
        inputs.append(Tensor(dataType: .float, dims: dims, storage: .unloaded))  // only its shape is read
      } else {
        return knownIntegers(node, context)
      }
    }
    return try definition.evaluate(EvaluationContext(node: node, opset: context.model.opsetVersion, inputs: inputs))
  }

  /// The outputs as constants when inference knows every one's integer values although the inputs
  /// vary: `Gather(Shape(x), 1)` is the channel count whatever the batch of `x`.
  private func knownIntegers(_ node: Node, _ context: CompilationContext) -> [Tensor]? {
    var results: [Tensor] = []
    for output in node.outputs {
      guard !output.isEmpty, let values = context.knownIntegers[output], let type = context.elementTypes[output],
        let dims = context.shapes[output]?.fixedDims
      else { return nil }
      results.append(Tensor(dataType: type, dims: dims, storage: .integers(values.map(Int64.init))))
    }
    return results
  }
}
