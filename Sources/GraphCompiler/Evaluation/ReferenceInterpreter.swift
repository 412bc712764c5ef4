import GraphIR
import GraphPlan

/// Runs an ONNX model node by node with each operator's own evaluator (built on the
/// naive ``Reference`` kernels): the oracle compiled plans are tested against.
///
/// Works on the *unoptimized* graph (default domain only), NCHW, any batch. Every
/// value is a concrete tensor, so shape ops are evaluated on the actual shapes.
/// Slow and simple on purpose; it shares nothing with the passes but the
/// operator definitions' evaluators, which constant folding also uses.
public enum ReferenceInterpreter {
  /// Evaluates `model` on `inputs` (by graph input name) and returns every graph output.
  public static func run(_ model: Model, inputs: [String: FloatTensor]) throws -> [String: FloatTensor] {
    let graph = model.graph
    var values: [String: Tensor] = graph.initializers
    for input in graph.inputs {
      guard let t = inputs[input.name] else { throw GraphError("input '\(input.name)'", "no value given") }
      values[input.name] = Tensor(floats: t.values, dims: t.shape)
    }
    // Evaluate in dependency order (ONNX files are sorted, but do not rely on it).
    var pending = graph.nodes
    while !pending.isEmpty {
      guard let i = pending.firstIndex(where: { node in node.inputs.allSatisfy { $0.isEmpty || values[$0] != nil } }) else {
        throw GraphError("", "nodes \(pending.map(\.label)) have inputs that are never computed")
      }
      let node = pending.remove(at: i)
      guard OperatorRegistry.isDefaultDomain(node.domain) else {
        throw GraphError.node(node, "domain '\(node.domain)' is not evaluated by the reference interpreter")
      }
      guard let definition = OperatorRegistry.byOp[node.opType] else {
        throw GraphError.node(node, "not supported by the reference interpreter")
      }
      let operands = node.inputs.map { $0.isEmpty ? nil : values[$0] }
      let results = try definition.evaluate(EvaluationContext(node: node, opset: model.opsetVersion, inputs: operands))
      for (name, t) in zip(node.outputs, results) where !name.isEmpty { values[name] = t }
    }
    var outputs: [String: FloatTensor] = [:]
    for output in graph.outputs {
      guard let t = values[output.name] else { throw GraphError("output '\(output.name)'", "was not computed") }
      outputs[output.name] = try FloatTensor(shape: t.dims, values: t.floats)
    }
    return outputs
  }
}
