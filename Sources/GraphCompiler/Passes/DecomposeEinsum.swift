import GraphIR

/// Einsum → the ops whose steps run it, so no kernel of its own: each operand first takes the
/// diagonal of a letter it names twice (Transpose the pair last, Reshape them into one axis,
/// Gather every (n+1)th element), then sums out the axes only it names (ReduceSum), then, for
/// two operands, is transposed to `[batch, kept, summed]` and `[batch, summed, kept]`, reshaped to
/// matrices, multiplied (MatMul, batched over the shared output axes), reshaped back and
/// transposed to the output's order. Steps that would change
/// nothing are left out: `bhid,bhjd->bhij` is one Transpose and one MatMul. Runs after folding
/// (a constant Einsum is already folded) and infers shapes again for the nodes it adds.
public struct DecomposeEinsum: Pass {
  public let name = "decompose-einsum"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    guard context.graph.nodes.contains(where: { $0.opType == "Einsum" && $0.domain.isEmpty }) else { return }
    var nodes: [Node] = []
    for node in context.graph.nodes {
      guard node.opType == "Einsum", node.domain.isEmpty else {
        nodes.append(node)
        continue
      }
      var builder = Builder(node: node, context: context)
      try builder.decompose()
      nodes += builder.nodes
    }
    context.graph.nodes = nodes
    try InferShapes().run(context)
  }

  /// The nodes replacing one Einsum, with each intermediate value's letters and dims.
  struct Builder {
    let node: Node
    let context: CompilationContext
    var nodes: [Node] = []
    var count = 0

    init(node: Node, context: CompilationContext) { (self.node, self.context) = (node, context) }

    var opset: Int { context.model.opsetVersion }

    /// A new value name for an intermediate, unique to this node.
    mutating func fresh(_ what: String) -> String {
      count += 1
      return "\(node.outputs[0])#einsum\(count)_\(what)"
    }

    mutating func add(_ op: String, _ inputs: [String], _ attributes: [String: Attribute] = [:], output: String? = nil, _ what: String) -> String {
      let out = output ?? fresh(what)
      nodes.append(Node(name: "\(node.name)/\(what)\(count)", opType: op, inputs: inputs, outputs: [out], attributes: attributes))
      return out
    }

    mutating func constant(_ values: [Int], _ what: String = "shape") -> String {
      let name = fresh(what)
      context.graph.initializers[name] = Tensor(int64s: values.map(Int64.init), dims: [values.count])
      return name
    }

    /// `x` (axes `letters`) with the axes not in `keep` summed out.
    mutating func sumOut(_ x: String, _ letters: [Character], keep: Set<Character>) -> (String, [Character]) {
      let axes = letters.indices.filter { !keep.contains(letters[$0]) }
      guard !axes.isEmpty else { return (x, letters) }
      let rest = letters.filter(keep.contains)
      if opset >= 13 {
        return (add("ReduceSum", [x, constant(axes)], ["keepdims": .int(0)], "sum"), rest)
      }
      return (add("ReduceSum", [x], ["axes": .ints(axes), "keepdims": .int(0)], "sum"), rest)
    }

    /// `x` (axes `letters`, with sizes `dims`) with each letter named twice reduced to its diagonal,
    /// the letter once, last.
    mutating func diagonals(_ x: String, _ letters: [Character], _ dims: [Dim]) throws -> (String, [Character], [Dim]) {
      var (x, letters, dims) = (x, letters, dims)
      while let second = letters.indices.first(where: { letters[..<$0].contains(letters[$0]) }) {
        let c = letters[second], first = letters.firstIndex(of: c)!
        guard let n = dims[first].value else {  // `sizes` made the pair's dims equal
          throw GraphError.node(node, "axis '\(c)' must have a known size to take its diagonal")
        }
        let others = letters.indices.filter { $0 != first && $0 != second }
        let moved = transpose(x, perm: others + [first, second])
        let flat = reshape(moved, from: others.map { dims[$0] } + [.fixed(n), .fixed(n)], to: others.map { _ in 0 } + [n * n])
        x = add("Gather", [flat, constant((0..<n).map { $0 * (n + 1) }, "indices")], ["axis": .int(others.count)], "diagonal")
        letters = others.map { letters[$0] } + [c]
        dims = others.map { dims[$0] } + [.fixed(n)]
      }
      return (x, letters, dims)
    }

    /// `x` (axes `letters`) with its axes in the order `to`.
    mutating func transpose(_ x: String, _ letters: [Character], to: [Character]) -> String {
      transpose(x, perm: to.map { letters.firstIndex(of: $0)! })
    }

    /// `x` with its axes permuted by `perm`; nothing when `perm` keeps them in place.
    mutating func transpose(_ x: String, perm: [Int]) -> String {
      return perm == Array(perm.indices) ? x : add("Transpose", [x], ["perm": .ints(perm)], "transpose")
    }

    /// Makes `value` the Einsum's output: the last node writes it, or an Identity copies an input.
    mutating func finish(_ value: String) {
      if let last = nodes.indices.last, nodes[last].outputs[0] == value {
        nodes[last].outputs[0] = node.outputs[0]
      } else {
        _ = add("Identity", [value], [:], output: node.outputs[0], "identity")
      }
    }

    /// `x` reshaped to `dims`; nothing when its dims are `dims` already (0 keeps an axis's size).
    mutating func reshape(_ x: String, from: [Dim], to dims: [Int]) -> String {
      if from.count == dims.count && zip(from, dims).allSatisfy({ $1 == 0 || $0.value == $1 }) { return x }
      return add("Reshape", [x, constant(dims)], [:], "reshape")
    }

    mutating func decompose() throws {
      let operands = GraphOperands(node: node, opset: opset, graph: context.graph)
      let shapes = try node.inputs.map { name -> [Dim] in
        guard let s = context.shapes[name] else { throw GraphError.node(node, "the shape of '\(name)' is unknown") }
        return s.dims
      }
      let equation = try EinsumEquation(operands, ranks: shapes.map(\.count))
      let size = try equation.sizes(operands, shapes)
      let out = Set(equation.output)
      var inputs: [(String, [Character])] = []
      for i in node.inputs.indices {
        let (x, letters, _) = try diagonals(node.inputs[i], equation.operands[i], shapes[i])
        inputs.append((x, letters))
      }
      if equation.operands.count == 1 {
        let (x, letters) = sumOut(inputs[0].0, inputs[0].1, keep: out)
        finish(transpose(x, letters, to: equation.output))
        return
      }
      let (a0, b0) = (inputs[0].1, inputs[1].1)
      let (a, aLetters) = sumOut(inputs[0].0, a0, keep: out.union(b0))
      let (b, bLetters) = sumOut(inputs[1].0, b0, keep: out.union(a0))
      let batch = equation.output.filter { aLetters.contains($0) && bLetters.contains($0) }
      let summed = aLetters.filter { bLetters.contains($0) && !out.contains($0) }
      let aKept = aLetters.filter { !bLetters.contains($0) }, bKept = bLetters.filter { !aLetters.contains($0) }
      // The matrix sides must have known sizes; the batch axes may be symbolic (Reshape's 0 keeps them).
      func product(_ letters: [Character]) throws -> Int {
        try letters.map { c -> Int in
          guard let v = size[c]?.value else {
            throw GraphError.node(node, "axis '\(c)' of equation '\(String(equation.operands[0])),\(String(equation.operands[1]))' must have a known size to become a matrix axis")
          }
          return v
        }.reduce(1, *)
      }
      // With no batch axes, the first operand may keep its own axes (one symbolic) as MatMul's
      // leading ones: `bij,jk->bik` is `[N, i, j] @ [j, k]`.
      let keepRows = batch.isEmpty && aKept.contains { size[$0]?.value == nil }
      let rows: [Int] = keepRows ? aKept.map { _ in 0 } : [try product(aKept)]
      let (k, columns) = (try product(summed), try product(bKept))
      let keep = [Int](repeating: 0, count: batch.count)
      let aOrder = batch + aKept + summed, bOrder = batch + summed + bKept
      let aT = transpose(a, aLetters, to: aOrder), bT = transpose(b, bLetters, to: bOrder)
      let aM = reshape(aT, from: aOrder.map { size[$0]! }, to: keep + rows + [k])
      let bM = reshape(bT, from: bOrder.map { size[$0]! }, to: keep + [k, columns])
      let matmul = add("MatMul", [aM, bM], [:], "matmul")
      let order = batch + aKept + bKept
      let matmulDims = (keep + rows).map { Dim.fixed($0) } + [.fixed(columns)]
      let full = reshape(matmul, from: matmulDims, to: keep + (keepRows ? rows : try aKept.map { try product([$0]) }) + (try bKept.map { try product([$0]) }))
      finish(transpose(full, order, to: equation.output))
    }
  }
}
