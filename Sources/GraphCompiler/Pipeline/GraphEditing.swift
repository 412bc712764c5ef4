import GraphIR

/// A graph being rewritten by a pass, with who produces and who reads each value kept current
/// through its edits, so that a lookup costs O(1) instead of a scan of every node (scans per
/// node made the passes quadratic: 20k `Add(x, constant)` nodes took 14 s to compile).
///
/// Node indices stay stable while a pass runs: a removed node leaves a hole (``isRemoved(_:)``)
/// until ``finish()`` returns the compacted graph.
struct GraphRewriter {
  private(set) var graph: Graph
  private var producers: [String: Int] = [:]
  /// For each value, the nodes reading it and how many of their inputs do.
  private var readers: [String: [Int: Int]] = [:]
  private var removed: [Bool]
  private let outputNames: Set<String>

  init(_ graph: Graph) {
    self.graph = graph
    removed = [Bool](repeating: false, count: graph.nodes.count)
    outputNames = Set(graph.outputs.map(\.name))
    for i in graph.nodes.indices { index(i) }
  }

  /// The rewritten graph, holes removed, with the nodes of `inserting[i]` placed just before node `i`
  /// (a pass that adds nodes names where they go in the order).
  func finish(inserting: [Int: [Node]] = [:]) -> Graph {
    var result = graph
    result.nodes = graph.nodes.indices.flatMap { i in (inserting[i] ?? []) + (removed[i] ? [] : [graph.nodes[i]]) }
    return result
  }

  /// Node slots, removed ones included (`for i in 0..<nodeCount where !isRemoved(i)`).
  var nodeCount: Int { graph.nodes.count }

  func isRemoved(_ i: Int) -> Bool { removed[i] }

  subscript(i: Int) -> Node { graph.nodes[i] }

  /// Whether `value` is a graph output.
  func isOutput(_ value: String) -> Bool { outputNames.contains(value) }

  /// Index of the node producing `value`.
  func producer(of value: String) -> Int? { producers[value] }

  /// The single node consuming `value`, when exactly one node reads it once and it is not a graph output.
  func soleConsumer(of value: String) -> Int? {
    guard !isOutput(value), let users = readers[value], users.count == 1, let (node, slots) = users.first, slots == 1
    else { return nil }
    return node
  }

  /// The nodes reading `value`, in graph order.
  func consumers(of value: String) -> [Int] { (readers[value]?.keys).map { $0.sorted() } ?? [] }

  /// Whether any node reads `value`.
  func isRead(_ value: String) -> Bool { !(readers[value]?.isEmpty ?? true) }

  /// A constant's value: an initializer.
  func constant(_ value: String) -> Tensor? { graph.initializers[value] }

  mutating func setInitializer(_ name: String, _ tensor: Tensor) { graph.initializers[name] = tensor }

  /// Puts `node` at index `i` in place of the node there.
  mutating func replace(_ i: Int, with node: Node) {
    unindex(i)
    graph.nodes[i] = node
    index(i)
  }

  /// Removes the node at `i` (its index stays a hole until ``finish()``).
  mutating func remove(_ i: Int) {
    unindex(i)
    removed[i] = true
  }

  /// Replaces every read of value `old` by `new`.
  mutating func replaceUses(of old: String, with new: String) {
    guard let users = readers[old] else { return }
    for (i, _) in users {
      var node = graph.nodes[i]
      node.inputs = node.inputs.map { $0 == old ? new : $0 }
      replace(i, with: node)
    }
  }

  private mutating func index(_ i: Int) {
    let node = graph.nodes[i]
    for output in node.outputs where !output.isEmpty { producers[output] = i }
    for input in node.inputs where !input.isEmpty { readers[input, default: [:]][i, default: 0] += 1 }
  }

  private mutating func unindex(_ i: Int) {
    let node = graph.nodes[i]
    for output in node.outputs where producers[output] == i { producers[output] = nil }
    for input in node.inputs where !input.isEmpty {
      readers[input]?[i] = nil
      if readers[input]?.isEmpty == true { readers[input] = nil }
    }
  }
}

extension Graph {
  /// Index of the node producing `value`, by a scan (for messages; passes use ``GraphRewriter``).
  func producer(of value: String) -> Int? {
    nodes.firstIndex { $0.outputs.contains(value) }
  }
}
