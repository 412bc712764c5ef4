import GraphIR

/// Evaluates every node whose operator folds and whose inputs are all constants
/// (or, for `Shape`, whose input's shape is fully known), turning its outputs into initializers.
/// A CastLike first becomes the Cast it is: its second input only gives a type, which inference
/// knows, so `CastLike(constant, x)` folds even though `x` is computed at run time.
///
/// A value whose shape has a 0 holds nothing, so it is a constant whatever computes it: an empty
/// graph input folds into what reads it (a ReduceSum over it is zeros), and a node whose outputs
/// are all empty (a Slice past the end) is replaced by empty constants, never run.
public struct ConstantFolding: Pass {
  public let name = "constant-fold"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    var kept: [Node] = []
    var foldedBytes = 0
    for var node in graph.nodes {
      if node.opType == "CastLike", OperatorRegistry.isDefaultDomain(node.domain), node.inputs.count == 2,
        let type = context.elementTypes[node.inputs[1]]
      {
        node = Node(
          name: node.name, opType: "Cast", domain: node.domain, inputs: [node.inputs[0]], outputs: node.outputs,
          attributes: node.attributes.merging(["to": .int(Int(type.rawValue))]) { $1 })
      }
      if let results = try fold(node, graph, context, foldedBytes: &foldedBytes) ?? emptyOutputs(node, context) {
        for (name, tensor) in zip(node.outputs, results) where !name.isEmpty { graph.initializers[name] = tensor }
      } else {
        // The empty outputs of a node that also computes others (a Split's part of size 0) are
        // constants too: the node no longer names them (as an omitted optional output).
        for (i, name) in node.outputs.enumerated() where !name.isEmpty {
          guard let empty = Self.empty(name, context) else { continue }
          graph.initializers[name] = empty
          node.outputs[i] = ""
        }
        kept.append(node)
      }
    }
    graph.nodes = kept
    context.graph = graph
  }

  /// Checks a node's outputs against the limits before it is evaluated: each against
  /// ``Limits/maxTensorBytes``, all folded so far against ``Limits/maxFoldedBytes`` (a few-byte
  /// ConstantOfShape must not make the compiler allocate without bound).
  private func checkSizes(_ node: Node, _ context: CompilationContext, foldedBytes: inout Int) throws {
    for output in node.outputs where !output.isEmpty {
      guard let dims = context.shapes[output]?.fixedDims else { continue }
      let type = context.elementTypes[output] ?? .float
      let count = DimProduct.of(dims.map(Dim.fixed))?.coefficient ?? -1
      do {
        let bytes = try context.limits.check(
          "its output \(dims) of \(type), too large to compute at compile time,", count: count, elementSize: type.byteSize, against: \.maxTensorBytes)
        foldedBytes += bytes
        try context.limits.check(
          "the constants folded so far, with its output \(dims) of \(type),", count: foldedBytes, against: \.maxFoldedBytes)
      } catch {
        throw GraphError.node(node, error.message)
      }
    }
  }

  private func fold(_ node: Node, _ graph: Graph, _ context: CompilationContext, foldedBytes: inout Int) throws -> [Tensor]? {
    guard OperatorRegistry.isDefaultDomain(node.domain), let definition = OperatorRegistry.byOp[node.opType],
      definition.folds
    else { return nil }
    try checkSizes(node, context, foldedBytes: &foldedBytes)
    var inputs: [Tensor?] = []
    for name in node.inputs {
      if name.isEmpty { inputs.append(nil); continue }
      if let t = graph.initializers[name], t.isLoaded {
        inputs.append(t)
      } else if let empty = Self.empty(name, context) {
        inputs.append(empty)
      } else if definition.foldsFromShapes, let dims = context.shapes[name]?.fixedDims {
        inputs.append(Tensor(dataType: .float, dims: dims, storage: .unloaded))  // only its shape is read
      } else {
        return knownIntegers(node, context)
      }
    }
    return try definition.evaluate(EvaluationContext(node: node, opset: context.model.opsetVersion, inputs: inputs))
  }

  /// The value `name` as a constant when its shape has a 0 (no values to know).
  static func empty(_ name: String, _ context: CompilationContext) -> Tensor? {
    guard let dims = context.shapes[name]?.fixedDims, dims.contains(0) else { return nil }
    return Tensor(dataType: .float, dims: dims, storage: .floats([])).converted(to: context.elementTypes[name] ?? .float)
  }

  /// Every output as an empty constant when each one has a 0 in its shape, whatever the inputs.
  private func emptyOutputs(_ node: Node, _ context: CompilationContext) -> [Tensor]? {
    var results: [Tensor] = []
    for output in node.outputs {
      guard let empty = output.isEmpty ? Tensor(floats: [], dims: [0]) : Self.empty(output, context) else { return nil }
      results.append(empty)
    }
    return node.outputs.contains { !$0.isEmpty } ? results : nil
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
