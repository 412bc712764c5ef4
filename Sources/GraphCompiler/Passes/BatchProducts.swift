import GraphIR

/// Values whose leading dim is a multiple of the batch, such as Swin's windows `9*N x 49 x 96`
/// (`x.view(B * nW, 49, C)`), hold each batch item's `k` rows one after another: in memory they
/// are `[N, k, ...]`, and this pass gives them that shape, so that they lead with the batch alone
/// as every value the runtime computes must. The nodes around them change to match: a Transpose
/// keeps the new axis where it is, a positive axis of Gather, Slice, Concat, Softmax or
/// LayerNormalization moves up by one, and other operands broadcast as before (a constant
/// `[1, 3, 49, 49]` lines up with `[N, 9, 3, 49, 49]` from the right). Views need nothing: they
/// alias with the shapes inferred.
///
/// First, a Transpose that moves such a batch away from the front only for Gathers to take
/// slices along its new leading axis (attention's `qkv.permute(2, 0, 3, 1, 4)`, then `qkv[0]`,
/// `qkv[1]`, `qkv[2]`) becomes, for each Gather, a Gather along the original axis followed by
/// the rest of the permutation.
///
/// Runs last, after `views` and `shape-inputs`: no Shape of a value it reshapes is left to read.
/// When a node it cannot adjust touches such a value, it changes nothing, and lowering names the value.
/// With a fixed batch (`--batch`) there is no symbol and nothing to do.
public struct BatchProducts: Pass {
  public let name = "batch-products"
  public init() {}

  /// Element-wise ops: their operands broadcast from the right, so one more leading axis changes nothing.
  static let elementwise: Set<String> = [
    "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mean", "Sum", "Where", "Equal", "Less", "Greater", "LessOrEqual",
    "GreaterOrEqual", "And", "Or", "Xor", "Not", "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf",
    "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Clip", "Gelu", "Elu", "Identity", "Dropout", "Cast", "Mod",
    CompilerOps.gelu, CompilerOps.silu,
  ]

  public func run(_ context: CompilationContext) throws {
    guard case .symbol(let batch)? = context.graph.inputs.compactMap({ context.shapes[$0.name]?.dims.first }).first(where: { $0.value == nil })
    else { return }
    var graph = GraphRewriter(context.graph)
    var inserted: [Int: [Node]] = [:]
    unpermuteGathers(&graph, &inserted, context, batch: batch)
    context.graph = graph.finish(inserting: inserted)

    // The values to split, with their factor.
    var factors: [String: Int] = [:]
    for (name, shape) in context.shapes where shape.rank >= 1 {
      let lead = DimProduct(shape[0])
      if lead.symbols == [batch], lead.coefficient > 1, Shape(Array(shape.dims.dropFirst())).fixedDims != nil {
        factors[name] = lead.coefficient
      }
    }
    guard !factors.isEmpty, !context.graph.outputs.contains(where: { factors[$0.name] != nil }) else { return }
    var nodes = context.graph.nodes
    var initializers: [String: Tensor] = [:]
    for i in nodes.indices {
      let node = nodes[i]
      guard (node.inputs + node.outputs).contains(where: { factors[$0] != nil }) else { continue }
      guard let adjusted = adjust(node, factors, context, &initializers) else { return }
      nodes[i] = adjusted
    }
    context.graph.nodes = nodes
    for (name, tensor) in initializers { context.graph.initializers[name] = tensor }
    for (name, k) in factors {
      guard let shape = context.shapes[name] else { continue }
      context.shapes[name] = Shape([.symbol(batch), .fixed(k)] + shape.dims.dropFirst())
    }
    try DeadCodeElimination().run(context)
  }

  /// `node` for operands with one more leading axis, or nil when it cannot take them.
  func adjust(_ node: Node, _ factors: [String: Int], _ context: CompilationContext, _ initializers: inout [String: Tensor]) -> Node? {
    guard let out = node.outputs.first, node.outputs.count == 1, let rank = context.shapes[out]?.rank, rank >= 1 else { return nil }
    let split = { (name: String) in factors[name] != nil }
    var node = node
    func shiftAxis(_ key: String, default value: Int, rank: Int) -> Bool {
      guard let given = try? node.int(key, default: value) else { return false }
      let axis = given < 0 ? given + rank : given
      guard axis >= 1, axis < rank else { return false }
      node.attributes[key] = .int(axis + 1)
      return true
    }
    let opset = context.model.opsetVersion
    if node.domain == CompilerOps.domain && node.opType == CompilerOps.view { return node }
    if node.domain == CompilerOps.domain && node.opType == CompilerOps.fusedGemm {
      return split(node.inputs[0]) && split(out) && !node.inputs.dropFirst().contains(where: split) ? node : nil
    }
    guard node.domain.isEmpty || node.domain == CompilerOps.domain, split(out) else { return nil }
    // Every other operand broadcasts against the output from the right: it must not have the full rank
    // unless it leads with 1 (or is split too).
    func broadcasts(_ name: String) -> Bool {
      name.isEmpty || split(name) || (context.shapes[name].map { $0.rank < rank || $0.dims.first == .fixed(1) } ?? false)
    }
    switch node.opType {
    case _ where Self.elementwise.contains(node.opType) || node.domain == CompilerOps.domain && Self.elementwise.contains(node.opType):
      return node.inputs.allSatisfy(broadcasts) ? node : nil
    case "Softmax", "LogSoftmax":
      guard split(node.inputs[0]), shiftAxis("axis", default: opset >= 13 ? -1 : 1, rank: rank) else { return nil }
      return node
    case "LayerNormalization":
      guard split(node.inputs[0]), node.inputs.dropFirst().allSatisfy({ !split($0) }), shiftAxis("axis", default: -1, rank: rank) else { return nil }
      return node
    case "MatMul":
      return node.inputs.allSatisfy(broadcasts) && node.inputs.contains(where: split) ? node : nil
    case "Transpose":
      guard split(node.inputs[0]), let perm = try? node.ints("perm"), perm.first == 0 else { return nil }
      node.attributes["perm"] = .ints([0, 1] + perm.dropFirst().map { $0 + 1 })
      return node
    case "Gather":
      guard split(node.inputs[0]), !split(node.inputs[1]), let r = context.shapes[node.inputs[0]]?.rank,
        shiftAxis("axis", default: 0, rank: r) else { return nil }
      return node
    case "Concat":
      guard node.inputs.allSatisfy(split), shiftAxis("axis", default: ConcatOp.defaultAxis(opset: opset) ?? 0, rank: rank) else { return nil }
      return node
    case "Slice":
      guard opset >= 10, split(node.inputs[0]), node.inputs.dropFirst().allSatisfy({ !split($0) }),
        let starts = node.input(1).flatMap({ context.graph.initializers[$0] })
      else { return nil }
      let given = node.input(3).flatMap { context.graph.initializers[$0]?.int64s.map(Int.init) } ?? Array(0..<starts.elementCount)
      guard node.input(3) == nil || context.graph.initializers[node.inputs[3]] != nil else { return nil }
      let axes = given.map { $0 < 0 ? $0 + rank : $0 }
      guard axes.allSatisfy({ $0 >= 1 && $0 < rank }) else { return nil }
      let name = out + "#batch-products-axes"
      initializers[name] = Tensor(int64s: axes.map { Int64($0 + 1) }, dims: [axes.count])
      while node.inputs.count < 4 { node.inputs.append("") }
      node.inputs[3] = name
      return node
    default:
      return nil
    }
  }

  /// `Gather(Transpose(x, perm), i, axis: 0)`, where the transpose moves a batched leading axis of
  /// `x` away from the front, becomes `Transpose(Gather(x, i, axis: perm[0]), rest)`.
  func unpermuteGathers(_ graph: inout GraphRewriter, _ inserted: inout [Int: [Node]], _ context: CompilationContext, batch: String) {
    for t in 0..<graph.nodeCount where !graph.isRemoved(t) {
      let transpose = graph[t]
      guard transpose.domain.isEmpty, transpose.opType == "Transpose", let x = transpose.input(0), let moved = transpose.outputs.first,
        let perm = try? transpose.ints("perm"), let first = perm.first, first != 0, !graph.isOutput(moved),
        let shape = context.shapes[x], shape.rank == perm.count, DimProduct(shape[0]).symbols.contains(batch)
      else { continue }
      let gathers = graph.consumers(of: moved)
      guard !gathers.isEmpty, gathers.allSatisfy({ g in
        let node = graph[g]
        return node.domain.isEmpty && node.opType == "Gather" && node.inputs.count == 2 && node.inputs[0] == moved
          && (try? node.int("axis", default: 0)) == 0 && graph.constant(node.inputs[1])?.dims == []
      }) else { continue }
      let rest = perm.dropFirst().map { $0 > first ? $0 - 1 : $0 }
      let gatheredShape = Shape(shape.dims.enumerated().filter { $0.offset != first }.map(\.element))
      for g in gathers {
        let gather = graph[g]
        let out = gather.outputs[0]
        let identity = rest == Array(0..<rest.count)
        let along = identity ? out : out + "#unpermuted"
        let taken = Node(name: gather.name, opType: "Gather", inputs: [x, gather.inputs[1]], outputs: [along], attributes: ["axis": .int(first)])
        if identity {
          graph.replace(g, with: taken)
        } else {
          inserted[g, default: []].append(taken)
          graph.replace(g, with: Node(name: gather.name + "/permute", opType: "Transpose", inputs: [along], outputs: [out], attributes: ["perm": .ints(rest)]))
          context.shapes[along] = gatheredShape
          context.elementTypes[along] = context.elementTypes[out]
        }
      }
      graph.remove(t)
    }
  }
}
