import GraphIR

/// `Gather(flat, indices)` whose indices, computed from the batch, count `0, 1, 2, ...` in the
/// order of the output: PyTorch's `as_strided` over a contiguous tensor, as the dynamo exporter
/// writes it (Swin's head: `Range(0, N) * 768`, broadcast-added to the offsets of each item's
/// elements, gathered from the pooled features flattened). It reads every element once, in order:
/// a Reshape of `flat` to the indices' shape, the batch as its -1. The index arithmetic cannot run
/// (the runtime computes in float32 only); it is evaluated at three batch sizes instead, and the
/// Gather becomes a Reshape only when every one gives exactly `0..<count`. Its chain then dies.
public struct StridedViews: Pass {
  public let name = "strided-views"
  public init() {}

  /// The batch sizes the index arithmetic is checked at.
  static let batches = [1, 2, 3]

  public func run(_ context: CompilationContext) throws {
    guard case .symbol(let batch)? = context.graph.inputs.compactMap({ context.shapes[$0.name]?.dims.first }).first(where: { $0.value == nil })
    else { return }
    var graph = context.graph
    var changed = false
    for i in graph.nodes.indices {
      let node = graph.nodes[i]
      guard node.domain.isEmpty, node.opType == "Gather", node.inputs.count == 2, (try? node.int("axis", default: 0)) == 0,
        let data = node.input(0), let indices = node.input(1), graph.initializers[indices] == nil,
        context.shapes[data]?.rank == 1, let shape = context.shapes[indices],
        let target = Self.target(shape, batch: batch),
        Self.batches.allSatisfy({ b in Self.countsInOrder(indices, data: data, batch: batch, size: b, graph, context) })
      else { continue }
      let name = node.outputs[0] + "#strided-view-shape"
      graph.initializers[name] = Tensor(int64s: target.map(Int64.init), dims: [target.count])
      graph.nodes[i] = Node(name: node.name, opType: "Reshape", inputs: [data, name], outputs: node.outputs)
      changed = true
    }
    guard changed else { return }
    context.graph = graph
    try DeadCodeElimination().run(context)
    try InferShapes().run(context)
  }

  /// The Reshape target for indices of `shape`: -1 for the one dim holding the batch, the rest fixed.
  static func target(_ shape: Shape, batch: String) -> [Int]? {
    var target: [Int] = []
    for d in shape.dims {
      if let v = d.value {
        target.append(v)
      } else {
        guard DimProduct(d).symbols == [batch], !target.contains(-1) else { return nil }
        target.append(-1)
      }
    }
    return target.contains(-1) ? target : nil
  }

  /// A dim with the batch bound to `size`; nil for any other symbol.
  static func bound(_ d: Dim, batch: String, size: Int) -> Int? {
    if let v = d.value { return v }
    let p = DimProduct(d)
    guard p.symbols.allSatisfy({ $0 == batch }) else { return nil }
    return p.symbols.reduce(p.coefficient) { acc, _ in acc * size }
  }

  /// Whether `indices`, evaluated with the batch bound to `size`, is `0..<n` where `n` is the
  /// length of `data`. The chain may read initializers and the shapes of run-time values only.
  static func countsInOrder(_ indices: String, data: String, batch: String, size: Int, _ graph: Graph, _ context: CompilationContext) -> Bool {
    guard let length = context.shapes[data].flatMap({ bound($0[0], batch: batch, size: size) }) else { return false }
    var values: [String: Tensor] = [:]
    var visiting = 0
    func value(_ name: String, shapeOnly: Bool) -> Tensor? {
      if let t = values[name] { return t }
      if let t = graph.initializers[name] { return t.isLoaded ? t : nil }
      if shapeOnly {
        guard let dims = context.shapes[name]?.dims.map({ bound($0, batch: batch, size: size) }) as? [Int] else { return nil }
        return Tensor(dataType: .float, dims: dims, storage: .unloaded)
      }
      visiting += 1
      guard visiting < 256, let p = graph.producer(of: name) else { return nil }
      let node = graph.nodes[p]
      guard OperatorRegistry.isDefaultDomain(node.domain), let definition = OperatorRegistry.byOp[node.opType], definition.folds
      else { return nil }
      var inputs: [Tensor?] = []
      for input in node.inputs {
        if input.isEmpty { inputs.append(nil); continue }
        guard let t = value(input, shapeOnly: definition.foldsFromShapes) else { return nil }
        inputs.append(t)
      }
      guard let results = try? definition.evaluate(EvaluationContext(node: node, opset: context.model.opsetVersion, inputs: inputs))
      else { return nil }
      for (output, t) in zip(node.outputs, results) where !output.isEmpty { values[output] = t }
      return values[name]
    }
    guard let t = value(indices, shapeOnly: false), t.dataType.isInteger, t.elementCount == length, length <= 1 << 24 else { return false }
    return t.int64s.enumerated().allSatisfy { Int64($0.offset) == $0.element }
  }
}
