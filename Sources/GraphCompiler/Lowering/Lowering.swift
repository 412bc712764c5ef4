import GraphIR
import GraphPlan

/// Turns the optimized graph into kernel steps: every node is lowered by its
/// operator definition through a ``LoweringContext``.
final class Lowering {
  let context: CompilationContext
  var program = LoweredProgram()
  var graph: Graph { context.graph }
  /// The batch symbol: the first symbolic leading dim of an input; nil when every shape is fixed.
  private(set) var batch: Dim?
  /// Values the node being lowered created, so a failed attempt can be undone.
  var created: [String] = []
  /// The int64 values computed at run time: indices (``OperatorDefinition/indexOutputs``) and
  /// what only moves them. Exact floats in the arena, they are compared or cast to float like
  /// any float; an op that could compute a wrong integer from them (Div, Add) makes an int64
  /// that is not here, refused as any run-time integer is.
  private(set) var runTimeIndices: Set<String> = []

  init(context: CompilationContext) { self.context = context }

  func run() throws -> LoweredProgram {
    batch = graph.inputs.compactMap { context.shapes[$0.name]?.dims.first }.first { $0.value == nil }
    for node in graph.nodes {
      guard let definition = OperatorRegistry.definition(for: node) else { continue }
      for i in definition.indexOutputs where node.outputs.indices.contains(i) { runTimeIndices.insert(node.outputs[i]) }
      if definition.movesIndices, let x = node.input(0), runTimeIndices.contains(x), let out = node.outputs.first { runTimeIndices.insert(out) }
    }
    program.weights.reserve(graph.initializers.values.map { $0.elementCount + 16 }.reduce(0, +))
    for input in graph.inputs {
      // A bool input is fed as float 0/1, as run-time bools are carried (graphrun converts a bool .npy).
      if let type = context.elementTypes[input.name], type != .float, type != .bool {
        throw GraphError("graph input '\(input.name)'", "is \(type); the runtime takes float32 (and bool, as 0/1) inputs only")
      }
      if context.elementTypes[input.name] == .bool { program.types[input.name] = .bool }
      program.inputs.append(input.name)
      // An empty input holds nothing to read: constant folding took it as the empty constant it is.
      if let empty = ConstantFolding.empty(input.name, context) {
        program.constantBindings[input.name] = (empty.dataType == .bool ? .bool : .float32, empty.dims, [])
        continue
      }
      program.values[input.name] = try value(input.name)
    }
    var unsupported: [(kind: String, node: String)] = []
    for node in graph.nodes {
      let label = node.name.isEmpty ? node.outputs.first ?? "?" : node.name
      // An output the runtime never computes (MaxPool's Indices) is refused by name, before its value is laid out.
      if let uncomputed = OperatorRegistry.definition(for: node)?.uncomputedOutputs.sorted(by: { $0.key < $1.key }),
        let (i, what) = uncomputed.first(where: { node.outputs.indices.contains($0.key) && !node.outputs[$0.key].isEmpty })
      {
        unsupported.append((kind: "\(node.opType): its \(what) output (output \(i), '\(node.outputs[i])') is not supported", node: label))
        continue
      }
      for out in node.outputs where !out.isEmpty {
        program.values[out] = try value(out)
      }
      do {
        guard let definition = OperatorRegistry.definition(for: node) else { throw LoweringContext.Unsupported() }
        let computed = definition.lowersConstantFirstInput ? node.inputs.filter { !$0.isEmpty } : [node.inputs.first ?? ""]
        // A batched output from constants alone (Expand of a constant to a shape holding the batch)
        // is the op's to lower, when its shape came from a dropped shape input.
        let batchedFromConstants = !definition.shapeInputs.isEmpty
          && node.outputs.first.flatMap { program.values[$0] }.map { $0.items == nil } ?? false
        guard computed.contains(where: { program.values[$0] != nil }) || batchedFromConstants else {
          throw LoweringContext.Unsupported(
            reason: "its first input \(node.input(0).map { "'\($0)' " } ?? "")is not a value computed at run time")
        }
        try lower(node, definition)
      } catch let e as LoweringContext.Unsupported {
        unsupported.append((kind: node.opType + (e.reason.isEmpty ? "" : ": \(e.reason)"), node: label))
      }
    }
    if !unsupported.isEmpty {
      throw GraphError("", "cannot compile: " + OperatorRegistry.summarize(unsupported))
    }
    for output in graph.outputs {
      // A run-time bool is float 0/1 in the arena, an index an exact float; the plan records
      // their types so they leave the runtime as bool and int64.
      if program.values[output.name] != nil, context.elementTypes[output.name] == .bool { program.types[output.name] = .bool }
      if program.values[output.name] != nil, runTimeIndices.contains(output.name) { program.types[output.name] = .int64 }
      if program.values[output.name] == nil { try writeConstant(output.name) }
      program.outputs.append(output.name)
    }
    return program
  }

  /// Lowers `node` with each value as one item per batch item (or per leading index of a value
  /// without the batch); when that fails and none of its run-time values has the batch, again
  /// with each such value as a single item of its whole shape (`[3, 4, 5]`, a transpose of its
  /// axis 0): the kernels see it as a batch of one.
  private func lower(_ node: Node, _ definition: any OperatorDefinition.Type) throws {
    let stepCount = program.steps.count
    let outputs = node.outputs.filter { !$0.isEmpty }
    let saved = outputs.map { program.values[$0] }
    created = []
    func undo() {
      program.steps.removeLast(program.steps.count - stepCount)
      for name in created { program.values[name] = nil }
      for (name, value) in zip(outputs, saved) { program.values[name] = value }
      created = []
    }
    let runTime = (node.inputs + outputs).filter { !$0.isEmpty && program.values[$0] != nil }
    let wholeAllowed = runTime.allSatisfy { program.values[$0]?.items != nil }
    do {
      try definition.lower(LoweringContext(node: node, lowering: self, whole: false))
      try checkItems(from: stepCount)
    } catch let first as LoweringContext.Unsupported {
      guard wholeAllowed else { throw first }
      undo()
      do {
        let rank = node.input(0).flatMap { context.shapes[$0]?.rank } ?? 0
        let shifted = try WholeShapeNode(node, opset: context.model.opsetVersion, rank: rank, graph: graph)
        try definition.lower(LoweringContext(node: shifted.node, lowering: self, whole: true, constants: shifted.constants))
        try checkItems(from: stepCount)
      } catch let e as LoweringContext.Unsupported {
        undo()
        throw e.reason.isEmpty ? first : e
      }
    }
  }

  /// Every step from `first` on runs over its output's items: each input must have as many, or
  /// be a one-item operand of a binary or matmul step (a value without the batch, read by every item).
  private func checkItems(from first: Int) throws {
    for step in program.steps[first...] where !step.kernel.spansItems {
      let out = program.values[step.output]?.items
      for input in step.inputs where program.values[input]?.items != out {
        guard program.values[input]?.items == 1, step.kernel.readsSharedItems else {
          throw LoweringContext.Unsupported(reason: "it mixes values with and without the batch")
        }
      }
    }
  }

  /// A graph output that folded to a constant: a float or bool one is copied out of the weights by
  /// a step (a bool as 0/1); an int64 or int32 one, and an empty one of any of those types, the
  /// plan holds as it is.
  private func writeConstant(_ name: String) throws {
    guard let tensor = graph.initializers[name] ?? ConstantFolding.empty(name, context) else {
      throw GraphError("output '\(name)'", "is neither computed nor a constant")
    }
    guard tensor.isLoaded else { throw GraphError("initializer '\(name)'", "external data was not loaded") }
    let types: [DataType: ElementType] = [.float: .float32, .bool: .bool, .int64: .int64, .int32: .int32]
    guard let type = types[tensor.dataType] else {
      throw GraphError("output '\(name)'", "is a constant \(tensor.dataType) tensor; plan outputs are float32, bool, int64 or int32")
    }
    if type.isInteger || tensor.dims.contains(0) {
      program.constantBindings[name] = (type, tensor.dims, tensor.int64s)  // none for an empty one
      return
    }
    if tensor.dataType == .bool { program.types[name] = .bool }
    program.values[name] = try value(name)
    program.steps.append(.init(
      name: name, absorbed: [], kernel: .constant(program.weights.add(tensor.floats)), inputs: [], output: name))
  }

  /// How a value lives at run time: one item per batch item when its leading dim is the batch
  /// symbol, else its whole fixed shape (items along its leading dim).
  private func value(_ name: String) throws -> LoweredProgram.Value {
    guard let shape = context.shapes[name] else { throw GraphError("value '\(name)'", "has no inferred shape") }
    // The runtime computes in float32 only: running an integer model as floats would be silently wrong.
    // Bools are carried as float 0/1 (comparisons make them; Where, Not, And, Or, Xor read them).
    if let type = context.elementTypes[name], type != .float, type != .bool, !(type == .int64 && runTimeIndices.contains(name)) {
      let producer = graph.producer(of: name).map { " (output of \(graph.nodes[$0].label))" } ?? ""
      throw GraphError(
        "value '\(name)'\(producer)",
        "is \(type) and not known at compile time (it depends on a run-time value, such as the batch size); only float32 and bool values can be computed at run time (integer and float64 math is evaluated only at compile time, on constants)")
    }
    let listed = "[\(shape.dims.map(\.description).joined(separator: ", "))]"
    // The plan has no empty buffers (an out-of-range Slice gives one): say so here, by name.
    guard !shape.dims.contains(.fixed(0)) else {
      throw GraphError("value '\(name)'", "shape \(listed) is empty (a dim is 0); empty tensors are not supported")
    }
    if let batch, shape.rank >= 1, shape[0] == batch, let dims = Shape(Array(shape.dims.dropFirst())).fixedDims {
      return .init(dims: dims)
    }
    if let dims = shape.fixedDims {
      return .init(dims: Array(dims.dropFirst()), items: dims.first ?? 1)
    }
    let unknown = shape.dims.indices.filter { shape.dims[$0].value == nil && !($0 == 0 && shape.dims[0] == batch) }
    if let batch, unknown.contains(where: { DimProduct(shape.dims[$0]).symbols.contains(batch.description) || $0 > 0 && shape.dims[$0] == batch }) {
      throw GraphError(
        "value '\(name)'",
        "shape \(listed): the batch \(batch) is not its leading dimension alone (it moved, or a size is computed from it); only values that lead with the batch, or have no batch, are computed at run time")
    }
    let symbols = Shape(unknown.map { shape.dims[$0] }).symbols.joined(separator: ", ")
    throw GraphError(
      "value '\(name)'",
      "shape \(listed): dim\(unknown.count == 1 ? "" : "s") \(unknown.map(String.init).joined(separator: ", ")) (\(symbols)) "
        + "would be known only at run time; every dim but the batch must be fixed at compile time: export the model with a fixed input size")
  }
}

/// One node being lowered: its constants, its operands' per-item dims, and the
/// program its steps go into.
///
/// In whole mode (``Lowering``'s second attempt, for a node whose run-time values have no batch)
/// every run-time value the rule names stands for a one-item view of its whole shape, and its
/// shape reads as `[1] + shape`: the rule lowers it as a batch of one.
struct LoweringContext: NodeOperands {
  /// A node form the runtime cannot run; collected so one error lists them all.
  struct Unsupported: Error { var reason = "" }

  let node: Node
  let lowering: Lowering
  var whole = false
  /// Constant inputs that replace the graph's (whole mode's shifted axes).
  var constants: [Int: Tensor] = [:]
  var opset: Int { lowering.context.model.opsetVersion }
  var graph: Graph { lowering.context.graph }

  /// The first input: always a value computed at run time.
  var x: String { node.inputs[0] }
  var output: String { node.outputs[0] }

  func knownValue(_ i: Int) -> Tensor? { constants[i] ?? GraphOperands(node: node, opset: opset, graph: graph).knownValue(i) }

  /// Input `i`, which must be a constant for this form of the op.
  func constant(_ i: Int) throws -> Tensor {
    if let t = constants[i] { return t }
    // An empty graph input is a constant too (KV-cache inputs start with no past).
    guard let name = node.input(i), let t = graph.initializers[name] ?? ConstantFolding.empty(name, lowering.context) else {
      throw Unsupported(reason: "input \(i)\(node.input(i).map { " ('\($0)')" } ?? "") must be a constant (an initializer)")
    }
    guard t.isLoaded else { throw GraphError("initializer '\(name)'", "external data was not loaded") }
    return t
  }

  /// The name the program knows `name` by in this mode: in whole mode, a run-time value of the
  /// node's own becomes its one-item whole view.
  func resolved(_ name: String) -> String {
    guard whole, let value = lowering.program.values[name], value.items != nil, !name.hasSuffix("#whole"),
      let full = lowering.context.shapes[name]?.fixedDims, node.inputs.contains(name) || node.outputs.contains(name)
    else { return name }
    let view = name + "#whole"
    if lowering.program.values[view] == nil { newValue(view, dims: full, alias: .view(of: name), items: 1) }
    return view
  }

  /// The inferred shape of a value, batch included (in whole mode, `[1] +` a run-time value's shape).
  func shape(_ name: String) -> Shape? {
    guard let shape = lowering.context.shapes[name] else { return nil }
    return resolved(name) != name ? Shape([.fixed(1)] + shape.dims) : shape
  }

  /// Per-item dims of a computed value.
  func dims(_ name: String) -> [Int] { lowering.program.values[resolved(name)]?.dims ?? [] }

  /// Whether `name` is computed at run time (has a buffer), not a constant.
  func isComputed(_ name: String) -> Bool { lowering.program.values[name] != nil }

  /// What fusion folded into this node.
  var fusion: Fusion? { lowering.context.fusions[node.name] }
  var activation: Activation { fusion?.activation ?? .none }

  func addWeights(_ values: [Float]) -> WeightRef { lowering.program.weights.add(values) }

  /// Appends a step computing `output` (the node's first output by default) from `inputs`.
  func emit(_ kernel: Kernel, inputs: [String], output: String? = nil) {
    lowering.program.steps.append(.init(
      name: node.name, absorbed: fusion?.absorbed ?? [node.name], kernel: kernel, inputs: inputs.map(resolved),
      output: resolved(output ?? self.output)))
  }

  /// Whether the node's output has a buffer with one item per batch item.
  var outputIsBatched: Bool { !whole && lowering.program.values[output].map { $0.items == nil } ?? false }

  /// The items of the values this node creates: those of its output (one in whole mode).
  var items: Int? { whole ? 1 : lowering.program.values[output]?.items }

  /// Adds a value the node needs (a temporary, a view) with the node's item count.
  func newValue(_ name: String, dims: [Int], alias: LoweredProgram.Value.Alias? = nil, items: Int?? = nil) {
    lowering.program.values[name] = .init(dims: dims, alias: alias, items: items ?? self.items)
    lowering.created.append(name)
  }

  /// A new value that reads `name`'s buffer with other per-item dims (same element count).
  func view(of name: String, dims: [Int]) -> String {
    let source = resolved(name)
    let view = "\(source)#\(dims.map(String.init).joined(separator: "x"))"
    newValue(view, dims: dims, alias: .view(of: source), items: lowering.program.values[source]?.items)
    return view
  }

  /// A value computed at run time as an operand of an element-wise step over the node's output:
  /// a value without the batch under a batched output becomes a one-item view that every batch
  /// item reads, its leading 1 (lined up with the batch) dropped.
  func operand(_ name: String) throws -> String {
    let source = resolved(name)
    guard !whole, items == nil, let value = lowering.program.values[source], value.items != nil,
      let full = lowering.context.shapes[name]?.fixedDims, let rank = lowering.context.shapes[output]?.rank
    else { return source }
    guard full.count < rank || full.first == 1 else { throw Unsupported(reason: "operand '\(name)' \(full) varies along the batch") }
    let dims = full.count < rank ? full : Array(full.dropFirst())
    let view = "\(source)#each"
    if lowering.program.values[view] == nil { newValue(view, dims: dims, alias: .view(of: source), items: 1) }
    return view
  }

  /// A value as the 2-D sliding-window kernels take it: a 1-D `[C, L]` viewed as `[C, 1, L]`.
  func planarView(of name: String) -> String {
    let d = dims(name)
    return d.count == 2 ? view(of: name, dims: [d[0], 1, d[1]]) : resolved(name)
  }

  /// Where a 2-D sliding-window step writes the node's output: for a 1-D `[C, L]` output, a
  /// `[C, 1, L]` value that the output then views.
  func planarOutput() -> String {
    let d = dims(output)
    guard d.count == 2 else { return resolved(output) }
    let lifted = output + "#planar"
    newValue(lifted, dims: [d[0], 1, d[1]])
    alias(output, .view(of: lifted))
    return lifted
  }

  /// Points value `name` into another value's buffer.
  func alias(_ name: String, _ alias: LoweredProgram.Value.Alias) {
    let target: LoweredProgram.Value.Alias
    switch alias {
    case .view(let of): target = .view(of: resolved(of))
    case .slice(let of, let inner): target = .slice(of: resolved(of), inner: inner)
    }
    lowering.program.values[name]?.alias = target
  }
}
