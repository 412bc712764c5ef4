import GraphIR
import GraphPlan

/// Turns the optimized graph into kernel steps: every node is lowered by its
/// operator definition through a ``LoweringContext``.
final class Lowering {
  let context: CompilationContext
  var program = LoweredProgram()
  var graph: Graph { context.graph }

  init(context: CompilationContext) { self.context = context }

  func run() throws -> LoweredProgram {
    let batchSymbol = try findBatch()
    program.weights.reserve(graph.initializers.values.map { $0.elementCount + 16 }.reduce(0, +))
    for input in graph.inputs {
      if let type = context.elementTypes[input.name], type != .float {
        throw GraphError("graph input '\(input.name)'", "is \(type); the runtime takes float32 inputs only")
      }
      // An input without the batch in front can only be a weight fed at run time, which the
      // plan cannot take: the node using it reports that below.
      guard let dims = try? perItem(input.name, batchSymbol) else { continue }
      program.inputs.append(input.name)
      program.values[input.name] = .init(dims: dims)
    }
    var unsupported: [(kind: String, node: String)] = []
    for node in graph.nodes {
      for out in node.outputs where !out.isEmpty {
        program.values[out] = .init(dims: try perItem(out, batchSymbol))
      }
      do {
        guard let definition = OperatorRegistry.definition(for: node) else { throw LoweringContext.Unsupported() }
        let computed = definition.lowersConstantFirstInput ? node.inputs.filter { !$0.isEmpty } : [node.inputs.first ?? ""]
        guard computed.contains(where: { program.values[$0] != nil }) else {
          throw LoweringContext.Unsupported(
            reason: "its first input \(node.input(0).map { "'\($0)' " } ?? "")is not a batched value computed at run time")
        }
        try definition.lower(LoweringContext(node: node, lowering: self))
      } catch let e as LoweringContext.Unsupported {
        unsupported.append((kind: node.opType + (e.reason.isEmpty ? "" : ": \(e.reason)"), node: node.name.isEmpty ? node.outputs.first ?? "?" : node.name))
      }
    }
    if !unsupported.isEmpty {
      throw GraphError("", "cannot compile: " + OperatorRegistry.summarize(unsupported))
    }
    for output in graph.outputs {
      guard program.values[output.name] != nil else { throw GraphError("output '\(output.name)'", "is a constant; constant outputs are not supported") }
      program.outputs.append(output.name)
    }
    return program
  }

  /// The batch: the leading dim of the inputs, a symbol (the first one found) or fixed by `--batch`.
  private func findBatch() throws -> Dim {
    let leading = graph.inputs.compactMap { context.shapes[$0.name]?.dims.first }
    if let symbol = leading.first(where: { $0.value == nil }) { return symbol }
    guard let first = leading.first else { throw GraphError("", "the graph has no input with a batch dimension") }
    return first
  }

  /// The per-item dims of an activation: its shape without the leading batch dim.
  private func perItem(_ name: String, _ batch: Dim) throws -> [Int] {
    guard let shape = context.shapes[name] else { throw GraphError("value '\(name)'", "has no inferred shape") }
    // The runtime computes in float32 only: running an integer model as floats would be silently wrong.
    if let type = context.elementTypes[name], type != .float {
      let producer = graph.producer(of: name).map { " (output of \(graph.nodes[$0].label))" } ?? ""
      throw GraphError(
        "value '\(name)'\(producer)",
        "is \(type) and not known at compile time (it depends on a run-time value, such as the batch size); only float32 values can be computed at run time (integer and float64 math is evaluated only at compile time, on constants)")
    }
    let listed = "[\(shape.dims.map(\.description).joined(separator: ", "))]"
    guard shape.rank >= 1, shape[0] == batch else {
      throw GraphError("value '\(name)'", "shape \(listed) must have the batch \(batch) as its leading dimension")
    }
    guard let dims = Shape(Array(shape.dims.dropFirst())).fixedDims else {
      let unknown = shape.dims.indices.dropFirst().filter { shape.dims[$0].value == nil }
      let symbols = Shape(Array(shape.dims.dropFirst())).symbols.joined(separator: ", ")
      throw GraphError(
        "value '\(name)'",
        "shape \(listed): dim\(unknown.count == 1 ? "" : "s") \(unknown.map(String.init).joined(separator: ", ")) (\(symbols)) "
          + "would be known only at run time; every dim but the batch must be fixed at compile time: export the model with a fixed input size")
    }
    // The plan has no empty buffers (an out-of-range Slice gives one): say so here, by name.
    guard !dims.contains(0) && shape[0].value != 0 else {
      throw GraphError("value '\(name)'", "shape \(listed) is empty (a dim is 0); empty tensors are not supported")
    }
    return dims
  }
}

/// One node being lowered: its constants, its operands' per-item dims, and the
/// program its steps go into.
struct LoweringContext: NodeOperands {
  /// A node form the runtime cannot run; collected so one error lists them all.
  struct Unsupported: Error { var reason = "" }

  let node: Node
  let lowering: Lowering
  var opset: Int { lowering.context.model.opsetVersion }
  var graph: Graph { lowering.context.graph }

  /// The first input: always a batched value computed at run time.
  var x: String { node.inputs[0] }
  var output: String { node.outputs[0] }

  func knownValue(_ i: Int) -> Tensor? { GraphOperands(node: node, opset: opset, graph: graph).knownValue(i) }

  /// Input `i`, which must be a constant for this form of the op.
  func constant(_ i: Int) throws -> Tensor {
    guard let name = node.input(i), let t = graph.initializers[name] else {
      throw Unsupported(reason: "input \(i)\(node.input(i).map { " ('\($0)')" } ?? "") must be a constant (an initializer)")
    }
    guard t.isLoaded else { throw GraphError("initializer '\(name)'", "external data was not loaded") }
    return t
  }

  /// The inferred shape of a value, batch included.
  func shape(_ name: String) -> Shape? { lowering.context.shapes[name] }

  /// Per-item dims of a computed value.
  func dims(_ name: String) -> [Int] { lowering.program.values[name]?.dims ?? [] }

  /// Whether `name` is computed at run time (has a buffer), not a constant.
  func isComputed(_ name: String) -> Bool { lowering.program.values[name] != nil }

  /// What fusion folded into this node.
  var fusion: Fusion? { lowering.context.fusions[node.name] }
  var activation: Activation { fusion?.activation ?? .none }

  func addWeights(_ values: [Float]) -> WeightRef { lowering.program.weights.add(values) }

  /// Appends a step computing `output` (the node's first output by default) from `inputs`.
  func emit(_ kernel: Kernel, inputs: [String], output: String? = nil) {
    lowering.program.steps.append(.init(
      name: node.name, absorbed: fusion?.absorbed ?? [node.name], kernel: kernel, inputs: inputs, output: output ?? self.output))
  }

  /// A new value that reads `name`'s buffer with other per-item dims (same element count).
  func view(of name: String, dims: [Int]) -> String {
    let view = "\(name)#\(dims.map(String.init).joined(separator: "x"))"
    lowering.program.values[view] = .init(dims: dims, alias: .view(of: name))
    return view
  }

  /// A value as the 2-D sliding-window kernels take it: a 1-D `[C, L]` viewed as `[C, 1, L]`.
  func planarView(of name: String) -> String {
    let d = dims(name)
    return d.count == 2 ? view(of: name, dims: [d[0], 1, d[1]]) : name
  }

  /// Where a 2-D sliding-window step writes the node's output: for a 1-D `[C, L]` output, a
  /// `[C, 1, L]` value that the output then views.
  func planarOutput() -> String {
    let d = dims(output)
    guard d.count == 2 else { return output }
    let lifted = output + "#planar"
    lowering.program.values[lifted] = .init(dims: [d[0], 1, d[1]])
    alias(output, .view(of: lifted))
    return lifted
  }

  /// Points value `name` into another value's buffer.
  func alias(_ name: String, _ alias: LoweredProgram.Value.Alias) { lowering.program.values[name]?.alias = alias }
}
