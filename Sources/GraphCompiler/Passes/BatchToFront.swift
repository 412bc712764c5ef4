import GraphIR

/// Values whose batch is not their outermost factor, such as attention's `[17, N, 32]`
/// (`nn.MultiheadAttention` puts the sequence first), `[17, 2*N, 16]` (its heads split off
/// the batch) or `[17*N, 32]` (rows merged for the out-projection), are kept in memory batch
/// first: as `[N, 17, 32]`, `[N, 17, 2, 16]` and `[N, 17, 32]`. Each batch item's elements keep
/// the order they have in the model's tensor, so the value leads with the batch alone, as every
/// value the runtime computes must.
///
/// A value's layout is where its batch sits: the logical dim `axis` is `outer * N * inner`, and
/// in memory the batch goes in front and that dim becomes `[outer, inner]` (each kept when > 1).
/// Layouts flow forward from the inputs (which lead with the batch) through the nodes, and each
/// node that touches a moved value is rewritten for the batch-first form: a Transpose gets the
/// permutation of the stored axes (a view when that is the identity); a view (Reshape, Squeeze)
/// needs nothing, since it keeps each item's order, once its batch factor is found; element-wise
/// ops take constants reshaped to line up with the stored axes; MatMul and Gemm work on rows that
/// the batch only reorders; the axes of Softmax, LayerNormalization, Gather, Slice and Concat move.
///
/// Runs after `shape-inputs` and before `batch-products` (whose values, a batch multiple in the
/// lead, it also takes when it runs: then that pass finds nothing left). When a node it cannot
/// adjust touches a moved value, it changes nothing, and lowering names the value.
/// With a fixed batch (`--batch`) there is no symbol and nothing to do.
public struct BatchToFront: Pass {
  public let name = "batch-to-front"
  public init() {}

  /// Where the batch sits in a value: logical dim `axis` is `outer * N * inner`.
  struct Layout: Equatable {
    var axis: Int
    var outer = 1
    var inner = 1
    static let leading = Layout(axis: 0)
    /// Stored as its logical shape.
    var isLeading: Bool { self == .leading }
    /// The batch is the outermost factor: `batch-products` alone could store it.
    var isMoved: Bool { axis > 0 || outer > 1 }
    /// The stored axis of logical axis `i` (not `axis`).
    func stored(_ i: Int) -> Int { i < axis ? i + 1 : i - 1 + extra + 1 }
    /// How many stored axes the batch dim becomes besides the batch: `outer` and `inner` when > 1.
    var extra: Int { (outer > 1 ? 1 : 0) + (inner > 1 ? 1 : 0) }
    /// The stored shape of a value of logical `dims` (nil where another dim is not fixed).
    func storedDims(_ dims: [Dim]) -> [Int]? {
      var result: [Int] = []
      for (i, d) in dims.enumerated() {
        if i == axis {
          if outer > 1 { result.append(outer) }
          if inner > 1 { result.append(inner) }
        } else {
          guard let v = d.value else { return nil }
          result.append(v)
        }
      }
      return result
    }
  }

  public func run(_ context: CompilationContext) throws {
    guard case .symbol(let batch)? = context.graph.inputs.compactMap({ context.shapes[$0.name]?.dims.first }).first(where: { $0.value == nil })
    else { return }
    // Swin's `qkv.permute(2, 0, 3, 1, 4)[i]` first becomes Gathers along the original axis, as
    // `batch-products` would make it: no copy of the permuted qkv.
    var graph = GraphRewriter(context.graph)
    var inserted: [Int: [Node]] = [:]
    BatchProducts().unpermuteGathers(&graph, &inserted, context, batch: batch)
    context.graph = graph.finish(inserting: inserted)

    var rewriter = Rewriter(context: context, batch: batch)
    for input in context.graph.inputs where rewriter.batchFactor(input.name) != nil {
      guard context.shapes[input.name]?.dims.first == .symbol(batch) else { return }
      rewriter.layouts[input.name] = .leading
    }
    var nodes: [Node] = []
    for node in context.graph.nodes {
      guard let rewritten = rewriter.rewrite(node) else { return }
      nodes.append(rewritten)
    }
    let moved = rewriter.layouts.filter { !$0.value.isLeading }
    guard moved.values.contains(where: \.isMoved), !context.graph.outputs.contains(where: { moved[$0.name] != nil }) else { return }
    var stored: [String: Shape] = [:]
    for (name, layout) in moved {
      guard let dims = context.shapes[name].flatMap({ layout.storedDims($0.dims) }) else { return }
      stored[name] = Shape([.symbol(batch)] + dims.map(Dim.fixed))
    }
    context.graph.nodes = nodes
    for (name, tensor) in rewriter.initializers { context.graph.initializers[name] = tensor }
    context.shapes.merge(stored) { $1 }
    try DeadCodeElimination().run(context)
  }

  /// The layouts found so far, and each node rewritten for its operands' stored forms.
  struct Rewriter {
    let context: CompilationContext
    let batch: String
    var layouts: [String: Layout] = [:]
    /// Constants reshaped to line up with stored axes.
    var initializers: [String: Tensor] = [:]

    init(context: CompilationContext, batch: String) {
      self.context = context
      self.batch = batch
    }

    /// Where the batch is in `name`'s inferred shape and its fixed factor there; nil without the batch.
    func batchFactor(_ name: String) -> (axis: Int, factor: Int)? {
      guard let shape = context.shapes[name] else { return nil }
      for (i, d) in shape.dims.enumerated() {
        let p = DimProduct(d)
        if p.symbols.contains(batch) { return p.symbols == [batch] ? (i, p.coefficient) : (i, 0) }
      }
      return nil
    }

    func rank(_ name: String) -> Int? { context.shapes[name]?.rank }

    /// `node` rewritten for the stored forms, its outputs' layouts recorded; nil when it cannot be.
    mutating func rewrite(_ node: Node) -> Node? {
      let batched = node.inputs.filter { !$0.isEmpty && layouts[$0] != nil }
      if let (result, outLayout) = adjusted(node, batched), let out = node.outputs.first, node.outputs.count == 1,
        let found = batchFactor(out), found.axis == outLayout.axis, found.factor == outLayout.outer * outLayout.inner
      {
        layouts[out] = outLayout
        return result
      }
      // Anything else is left as it is when its run-time values lead with the batch alone, or have none.
      guard batched.allSatisfy({ layouts[$0]!.isLeading }) else { return nil }
      for out in node.outputs where !out.isEmpty {
        guard let found = batchFactor(out) else { continue }
        guard found == (0, 1) else { return nil }
        layouts[out] = .leading
      }
      return node
    }

    /// The node for stored operands and its output's layout; nil when it cannot take them.
    mutating func adjusted(_ node: Node, _ batched: [String]) -> (Node, Layout)? {
      guard node.domain.isEmpty || node.domain == CompilerOps.domain, let first = batched.first,
        let layout = layouts[first], let out = node.outputs.first, let r = rank(out)
      else { return nil }
      var node = node
      let opset = context.model.opsetVersion
      /// Moves axis attribute `key` (given in logical terms) to its stored axis; it must not be the batch's.
      func moveAxis(_ key: String, default value: Int, rank: Int, after: Bool = false) -> Bool {
        guard let given = try? node.int(key, default: value) else { return false }
        let axis = given < 0 ? given + rank : given
        guard axis >= 0, axis < rank, after ? axis > layout.axis : axis != layout.axis else { return false }
        node.attributes[key] = .int(layout.stored(axis))
        return true
      }
      let sameLayouts = batched.allSatisfy { layouts[$0] == layout && rank($0) == rank(first) }
      if node.domain == CompilerOps.domain && node.opType == CompilerOps.view {
        return reshaped(first, out).map { (node, $0) }
      }
      if BatchProducts.elementwise.contains(node.opType) {
        guard sameLayouts, rank(first) == r else { return nil }
        for (i, input) in node.inputs.enumerated() where !input.isEmpty && layouts[input] == nil {
          guard let lined = linedUp(input, layout, rank: r) else { return nil }
          node.inputs[i] = lined
        }
        return (node, layout)
      }
      switch node.opType {
      case "Transpose":
        let perm = (try? node.ints("perm")) ?? Array((0..<r).reversed())
        guard perm.count == r, perm.contains(layout.axis) else { return nil }
        let band = Array((layout.axis + 1)..<(layout.axis + 1 + layout.extra))
        let stored = [0] + perm.flatMap { $0 == layout.axis ? band : [layout.stored($0)] }
        let result = Layout(axis: perm.firstIndex(of: layout.axis)!, outer: layout.outer, inner: layout.inner)
        guard stored != Array(0..<stored.count) else {
          return (Node(name: node.name, opType: CompilerOps.view, domain: CompilerOps.domain, inputs: [first], outputs: [out],
                       attributes: ["from": .string("Transpose")]), result)
        }
        node.attributes["perm"] = .ints(stored)
        return (node, result)
      case "Softmax", "LogSoftmax":
        // Before opset 13 the op flattens from its axis on: every dim from there must be past the batch's.
        guard node.inputs[0] == first, moveAxis("axis", default: opset >= 13 ? -1 : 1, rank: r, after: opset < 13) else { return nil }
        return (node, layout)
      case "LayerNormalization":
        guard node.inputs[0] == first, batched.count == 1, moveAxis("axis", default: -1, rank: r, after: true) else { return nil }
        return (node, layout)
      case "MatMul":
        // Rows and the operands' leading (batch) dims are what the batch reorders; it must not be in the contracted dims.
        guard let ra = rank(node.inputs[0]), let rb = rank(node.inputs[1]), ra >= 2, rb >= 2, ra == r else { return nil }
        if batched.count == 2 {
          guard sameLayouts, layout.axis < r - 2 else { return nil }
        } else {
          guard node.inputs[0] == first, layout.axis < r - 1, rb == 2 else { return nil }
        }
        return (node, layout)
      case "Gemm", CompilerOps.fusedGemm:
        // Rows over every axis but the last (a fused MatMul + bias may have more than two).
        guard node.inputs[0] == first, batched.count == 1, (try? node.int("transA", default: 0)) == 0, layout.axis < r - 1 else { return nil }
        return (node, layout)
      case "Gather":
        guard node.inputs[0] == first, batched.count == 1, let q = node.input(1).flatMap(rank), let rx = rank(first),
          let given = try? node.int("axis", default: 0), moveAxis("axis", default: 0, rank: rx)
        else { return nil }
        let axis = given < 0 ? given + rx : given
        var result = layout
        if axis < layout.axis { result.axis += q - 1 }
        return (node, result)
      case "Concat":
        guard sameLayouts, batched.count == node.inputs.count, moveAxis("axis", default: ConcatOp.defaultAxis(opset: opset) ?? 0, rank: r) else { return nil }
        return (node, layout)
      case "Slice":
        guard opset >= 10, node.inputs[0] == first, batched.count == 1,
          let starts = node.input(1).flatMap({ context.graph.initializers[$0] }),
          node.input(3) == nil || node.input(3).flatMap({ context.graph.initializers[$0] }) != nil
        else { return nil }
        let given = node.input(3).flatMap { context.graph.initializers[$0]?.int64s.map(Int.init) } ?? Array(0..<starts.elementCount)
        let axes = given.map { $0 < 0 ? $0 + r : $0 }
        guard axes.allSatisfy({ $0 >= 0 && $0 < r && $0 != layout.axis }) else { return nil }
        let name = out + "#batch-to-front-axes"
        initializers[name] = Tensor(int64s: axes.map { Int64(layout.stored($0)) }, dims: [axes.count])
        while node.inputs.count < 4 { node.inputs.append("") }
        node.inputs[3] = name
        return (node, layout)
      default:
        return nil
      }
    }

    /// The layout of view `out` of `input`: a view keeps the element order, so the elements before
    /// the batch in `input` (the product of the dims before it and its outer factor) must be the
    /// elements before it in `out`, where it splits off its dim's outer and inner factors.
    func reshaped(_ input: String, _ out: String) -> Layout? {
      guard let layout = layouts[input], let inShape = context.shapes[input], let outShape = context.shapes[out],
        let found = batchFactor(out), found.factor > 0,
        let before = Shape(Array(inShape.dims.prefix(layout.axis))).elementCount,
        let outBefore = Shape(Array(outShape.dims.prefix(found.axis))).elementCount
      else { return nil }
      let elementsBefore = before * layout.outer
      guard outBefore > 0, elementsBefore % outBefore == 0 else { return nil }
      let outer = elementsBefore / outBefore
      guard outer > 0, found.factor % outer == 0 else { return nil }
      return Layout(axis: found.axis, outer: outer, inner: found.factor / outer)
    }

    /// A batch-free operand of an element-wise op over values of `layout` and rank `rank`, as it lines
    /// up with their stored axes: as it is when it covers only the dims past the batch's, else a
    /// constant reshaped (its dims at the batch's dim must be 1); nil otherwise.
    mutating func linedUp(_ name: String, _ layout: Layout, rank: Int) -> String? {
      guard let shape = context.shapes[name], shape.rank <= rank else { return nil }
      if shape.rank < rank - layout.axis || layout.isLeading { return name }
      guard var tensor = context.graph.initializers[name], let dims = shape.fixedDims else { return nil }
      let full = Array(repeating: 1, count: rank - dims.count) + dims
      guard full[layout.axis] == 1 else { return nil }
      let stored = [1] + full.prefix(layout.axis) + Array(repeating: 1, count: layout.extra) + full.dropFirst(layout.axis + 1)
      tensor.dims = stored
      let lined = "\(name)#batch-to-front-\(stored.map(String.init).joined(separator: "x"))"
      initializers[lined] = tensor
      return lined
    }
  }
}
