import GraphIR
import GraphPlan

/// GELU's decomposed forms (``GELUPattern``) → one `graphc.GELU` node in place of the Erf or Tanh:
/// one activation that the `fuse` pass folds into the conv or dense step before it. Runs before
/// `channels-first`, so that an MLP's chain is MatMul, GELU, MatMul.
public struct FuseGELU: Pass {
  public let name = "fuse-gelu"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = GraphRewriter(context.graph)
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      guard let gelu = GELUPattern(at: index, in: graph), context.shapes[gelu.x] == context.shapes[gelu.output] else { continue }
      let name = graph[index].name
      let absorbed = gelu.nodes.sorted().map { graph[$0].name }
      for node in gelu.nodes where node != index { graph.remove(node) }
      graph.replace(index, with: GeluOp.node(gelu.activation, name: name, input: gelu.x, output: gelu.output))
      context.shapes[gelu.output] = context.shapes[gelu.x]
      context.fusions[name] = Fusion(activation: gelu.activation, absorbed: absorbed)
    }
    context.graph = graph.finish()
  }
}

/// GELU as exporters decompose it, found from its `Erf` or `Tanh` node:
///
///     x * 0.5 * (1 + Erf(x / sqrt(2)))                              (Div by √2, or Mul by 1/√2)
///     x * 0.5 * (1 + Tanh(sqrt(2/π) * (x + 0.044715 * x³)))          (x³ as Pow(x, 3) or x * x * x)
///
/// with the outer product in any association and operand order (PyTorch writes
/// `Mul(Mul(x, 1 + erf), 0.5)`, others `Mul(Mul(x, 0.5), 1 + erf)`). Every node between `x`
/// and the result must be read only inside the pattern.
struct GELUPattern {
  /// The activation, its input `x`, and the nodes the pattern spans (the last one's output is the result).
  let activation: Activation
  let x: String
  let nodes: [Int]
  let output: String

  init?(at index: Int, in graph: GraphRewriter) {
    let node = graph[index]
    guard node.domain.isEmpty, node.inputs.count == 1, let core = node.outputs.first else { return nil }
    var nodes = [index]
    let x: String
    switch node.opType {
    case "Erf":
      // x / √2 or x * (1/√2).
      guard let d = Self.soleProducer(of: node.inputs[0], graph), graph[d].domain.isEmpty, graph[d].inputs.count == 2 else { return nil }
      let (a, b) = (graph[d].inputs[0], graph[d].inputs[1])
      switch graph[d].opType {
      case "Div" where Self.scalar(b, graph, is: 2.0.squareRoot()): x = a
      case "Mul" where Self.scalar(b, graph, is: 0.5.squareRoot()): x = a
      case "Mul" where Self.scalar(a, graph, is: 0.5.squareRoot()): x = b
      default: return nil
      }
      nodes.append(d)
      activation = .gelu
    case "Tanh":
      // sqrt(2/π) * (x + 0.044715 * x³).
      let beta = (2 / Double.pi).squareRoot()
      var inner: [Int] = []
      let outer = Self.factors(node.inputs[0], graph, &inner)
      guard graph.soleConsumer(of: node.inputs[0]) == index, outer.count == 2,
        let k = outer.firstIndex(where: { Self.scalar($0, graph, is: beta) }),
        let s = Self.soleProducer(of: outer[1 - k], graph), graph[s].opType == "Add", graph[s].domain.isEmpty,
        graph[s].inputs.count == 2
      else { return nil }
      inner.append(s)
      // One operand of the sum is x, the other 0.044715 * x³.
      let (p, q) = (graph[s].inputs[0], graph[s].inputs[1])
      if Self.isCubicTerm(q, of: p, graph, &inner) {
        x = p
      } else if Self.isCubicTerm(p, of: q, graph, &inner) {
        x = q
      } else {
        return nil
      }
      nodes += inner
      activation = .geluTanh
    default:
      return nil
    }
    // 1 + core.
    guard let a = graph.soleConsumer(of: core), graph[a].opType == "Add", graph[a].domain.isEmpty, graph[a].inputs.count == 2,
      let onePlus = graph[a].outputs.first,
      Self.scalar(graph[a].inputs[0] == core ? graph[a].inputs[1] : graph[a].inputs[0], graph, is: 1)
    else { return nil }
    nodes.append(a)
    // The smallest product above `1 + core` whose factors are x, 0.5 and `1 + core`.
    var value = onePlus
    for _ in 0..<2 {
      guard let m = graph.soleConsumer(of: value), graph[m].opType == "Mul", graph[m].domain.isEmpty, let out = graph[m].outputs.first
      else { return nil }
      var product: [Int] = []
      let leaves = Self.factors(out, graph, &product)
      if leaves.count == 3, leaves.contains(x), leaves.contains(onePlus), leaves.contains(where: { Self.scalar($0, graph, is: 0.5) }) {
        self.x = x
        self.nodes = nodes + product
        self.output = out
        return
      }
      value = out
    }
    return nil
  }

  /// The factors of the product that ends in `value`: through `Mul` nodes read only by the product
  /// (appended to `nodes`), the other operands as they are.
  static func factors(_ value: String, _ graph: GraphRewriter, _ nodes: inout [Int]) -> [String] {
    guard let p = graph.producer(of: value), graph[p].opType == "Mul", graph[p].domain.isEmpty, graph[p].inputs.count == 2
    else { return [value] }
    nodes.append(p)
    return graph[p].inputs.flatMap { input -> [String] in
      guard let q = graph.producer(of: input), graph[q].opType == "Mul", graph.soleConsumer(of: input) == p else { return [input] }
      return factors(input, graph, &nodes)
    }
  }

  /// Whether `value` is `0.044715 * x³` (x³ as `Pow(x, 3)` or a product of three x), read only here.
  static func isCubicTerm(_ value: String, of x: String, _ graph: GraphRewriter, _ nodes: inout [Int]) -> Bool {
    guard graph.producer(of: value) != nil, graph.soleConsumer(of: value) != nil else { return false }
    var product: [Int] = []
    var leaves = factors(value, graph, &product)
    guard let k = leaves.firstIndex(where: { scalar($0, graph, is: 0.044715, tolerance: 1e-8) }) else { return false }
    leaves.remove(at: k)
    if leaves == [x, x, x] {
      nodes += product
      return true
    }
    guard leaves.count == 1, let p = soleProducer(of: leaves[0], graph), graph[p].opType == "Pow", graph[p].domain.isEmpty,
      graph[p].inputs.count == 2, graph[p].inputs[0] == x, scalar(graph[p].inputs[1], graph, is: 3)
    else { return false }
    nodes += product + [p]
    return true
  }

  /// The producer of `value` when the pattern is its only reader.
  static func soleProducer(of value: String, _ graph: GraphRewriter) -> Int? {
    guard let p = graph.producer(of: value), graph.soleConsumer(of: value) != nil else { return nil }
    return p
  }

  /// Whether `value` is a one-element constant within `tolerance` of `expected` (exporters round
  /// √2 and sqrt(2/π) to float32 and may write them as float64).
  static func scalar(_ value: String, _ graph: GraphRewriter, is expected: Double, tolerance: Double = 1e-6) -> Bool {
    guard let t = graph.constant(value), t.elementCount == 1, let v = t.floats.first else { return false }
    return abs(Double(v) - expected) <= tolerance
  }
}
