import GraphIR

/// Infers the element type and shape of every value of a model.
///
/// Symbolic dims (such as the batch `N`) stay symbolic unless `bindings` gives
/// them a value; bindings are applied to the graph inputs before inference, so
/// with every input symbol bound all shapes come out concrete.
public enum ShapeInference {
  /// Largest element count of one value; bigger shapes are reported as errors, not overflowed.
  public static let maxElements = 1 << 40

  public static func infer(_ model: Model, bindings: [String: Int] = [:]) throws -> InferredGraph {
    try OperatorRegistry.check(model)
    for (symbol, value) in bindings.sorted(by: { $0.key < $1.key }) where value <= 0 {
      throw GraphError("binding '\(symbol)'", "value \(value) must be positive")
    }
    let graph = try Verifier.topologicallySorted(model.graph)
    try Verifier.verify(graph)

    var states: [String: ValueState] = [:]
    var values: [InferredValue] = []
    func record(_ name: String, _ kind: InferredValue.Kind, _ node: Node?, _ state: ValueState) {
      states[name] = state
      values.append(InferredValue(
        name: name, kind: kind, producer: node?.name, op: node?.opType,
        elementType: state.elementType, shape: state.shape,
        knownIntegers: state.elementType.isInteger ? state.fixedElements : nil))
    }

    for input in graph.inputs {
      guard let declared = input.shape else {
        throw GraphError("graph input '\(input.name)'", "has no shape; shape inference needs every input's rank")
      }
      let shape = declared.binding(bindings)
      try checkDims(shape, GraphError("graph input '\(input.name)'", ""))
      record(input.name, .input, nil, ValueState(input.elementType, shape))
    }
    for name in graph.initializerOrder {
      guard let tensor = graph.initializers[name] else { continue }
      record(name, .initializer, nil, ValueState(constant: tensor))
    }

    for node in graph.nodes {
      guard let definition = OperatorRegistry.definition(for: node) else {
        throw GraphError.node(node, "no shape rule for this op")
      }
      let context = NodeContext(
        node: node, opset: model.opsetVersion,
        inputs: node.inputs.map { $0.isEmpty ? nil : states[$0] })
      let outputs = try smallConstants(node, definition, context, model.opsetVersion) ?? definition.infer(context)
      for (i, name) in node.outputs.enumerated() where !name.isEmpty {
        guard i < outputs.count else {
          throw context.error("has \(node.outputs.count) outputs, the op produces at most \(outputs.count)")
        }
        try checkDims(outputs[i].shape, context.error("output '\(name)'"))
        record(name, .node, node, outputs[i])
      }
    }

    try checkDeclared(graph.outputs, "graph output", states, bindings)
    try checkDeclared(graph.valueInfo.values.sorted { $0.name < $1.name }, "value", states, bindings)
    return InferredGraph(
      name: graph.name, values: values,
      inputNames: graph.inputs.map(\.name), outputNames: graph.outputs.map(\.name), graph: graph)
  }

  /// The outputs of a folding node whose inputs are all constants, evaluated now when each is small
  /// (the exporters' parameter plumbing, such as PyTorch's pads computed through a 2-D Reshape, Slice
  /// and Transpose): later rules then read them as constants before constant folding runs.
  static func smallConstants(
    _ node: Node, _ definition: any OperatorDefinition.Type, _ context: NodeContext, _ opset: Int
  ) throws -> [ValueState]? {
    guard definition.folds, !definition.foldsFromShapes, !node.inputs.isEmpty else { return nil }
    var inputs: [Tensor?] = []
    for (i, name) in node.inputs.enumerated() {
      if name.isEmpty { inputs.append(nil); continue }
      guard let state = context.inputs[i] else { return nil }
      if let t = state.constant {
        guard t.isLoaded, t.count <= ValueState.maxTrackedElements else { return nil }
        inputs.append(t)
      } else if let t = knownTensor(state) {
        // Integers computed from fixed dims of run-time values (Swin's window padding:
        // `(7 - W % 7) % 7` from `Shape(x)`, then a 2-D Reshape, Slice and Transpose into Pad's pads).
        inputs.append(t)
      } else {
        return nil
      }
    }
    let inferred = try definition.infer(context)
    guard inferred.allSatisfy({ $0.shape.fixedDims.map { $0.reduce(1, *) <= ValueState.maxTrackedElements } == true }) else { return inferred }
    let results = try definition.evaluate(EvaluationContext(node: node, opset: opset, inputs: inputs))
    return results.map { ValueState(constant: $0) }
  }

  /// An integer value whose every element inference knows as a number, as a tensor.
  static func knownTensor(_ state: ValueState) -> Tensor? {
    guard state.elementType.isInteger, let values = state.fixedElements, let dims = state.shape.fixedDims,
      dims.reduce(1, *) == values.count
    else { return nil }
    return Tensor(dataType: state.elementType, dims: dims, storage: .integers(values.map(Int64.init)))
  }

  /// Rejects negative dims and shapes too large to index.
  static func checkDims(_ shape: Shape, _ location: GraphError) throws {
    let prefix = location.message.isEmpty ? "" : location.message + ": "
    for (i, d) in shape.dims.enumerated() {
      if case .fixed(let v) = d, v < 0 {
        throw GraphError(location.location, "\(prefix)dim \(i) of shape \(shape) is negative")
      }
      // Checked per dim too: a zero elsewhere would hide a huge dim from the product check.
      if case .fixed(let v) = d, v > maxElements {
        throw GraphError(location.location, "\(prefix)dim \(i) of shape \(shape) is larger than \(maxElements)")
      }
    }
    guard let product = DimProduct.of(shape.dims), product.coefficient <= maxElements else {
      throw GraphError(location.location, "\(prefix)shape \(shape) has more than \(maxElements) elements")
    }
  }

  /// Declared shapes in the file must agree with inference where both are known.
  static func checkDeclared(
    _ declared: [ValueInfo], _ what: String, _ states: [String: ValueState], _ bindings: [String: Int]
  ) throws {
    for info in declared {
      guard let declaredShape = info.shape?.binding(bindings), let inferred = states[info.name]?.shape else { continue }
      var agrees = declaredShape.rank == inferred.rank
      if agrees {
        for (a, b) in zip(declaredShape.dims, inferred.dims) {
          if case .fixed(let x) = a, case .fixed(let y) = b, x != y { agrees = false }
        }
      }
      guard agrees else {
        throw GraphError("\(what) '\(info.name)'", "declared shape \(declaredShape) contradicts inferred shape \(inferred)")
      }
    }
  }
}
