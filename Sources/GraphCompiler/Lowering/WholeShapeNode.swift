import GraphIR

/// A node as ``LoweringContext`` shows it in whole mode, where each run-time value reads as
/// `[1] + its shape`: every axis the node names moves up by one (an axis attribute, Transpose's
/// perm, the axes of the Reduce ops and Slice whether attributes or constant inputs), and axes left
/// to a default are written out, so the rule sees the same axes of the shifted shape.
struct WholeShapeNode {
  var node: Node
  /// Constant inputs to read instead of the graph's: the shifted (or written-out) axes.
  var constants: [Int: Tensor] = [:]

  /// `node` shifted for `rank`, the rank of its first input's real shape.
  init(_ original: Node, opset: Int, rank: Int, graph: Graph) throws {
    node = original
    func shifted(_ axis: Int) -> Int { axis >= 0 ? axis + 1 : axis }
    switch original.opType {
    case "Concat", "Gather", "Split", "LayerNormalization", "RMSNormalization", "Softmax", "LogSoftmax", "Hardmax", "ArgMax", "ArgMin",
      "TopK", "LpNormalization":
      let softmax = opset < 13 ? 1 : -1
      let defaults = [
        "Concat": ConcatOp.defaultAxis(opset: opset), "Gather": 0, "Split": 0, "LayerNormalization": -1, "RMSNormalization": -1, "Softmax": softmax, "LogSoftmax": softmax,
        "Hardmax": softmax, "ArgMax": 0, "ArgMin": 0, "TopK": -1, "LpNormalization": -1,
      ]
      if let axis = try original.int("axis") ?? defaults[original.opType] ?? nil { node.attributes["axis"] = .int(shifted(axis)) }
    case "Transpose":
      let perm = try original.ints("perm") ?? Array((0..<rank).reversed())
      node.attributes["perm"] = .ints([0] + perm.map { $0 + 1 })
    case _ where ReduceOp.kinds[original.opType] != nil:
      if opset < ReduceOp.axesInputFrom(original.opType) {
        node.attributes["axes"] = .ints((try original.ints("axes") ?? Array(0..<rank)).map(shifted))
      } else {
        try shiftAxesInput(1, graph: graph, all: try original.int("noop_with_empty_axes", default: 0) == 0 ? rank : nil)
      }
    case "MeanVarianceNormalization":
      node.attributes["axes"] = .ints((try original.ints("axes") ?? [0, 2, 3]).map(shifted))
    case "Slice":
      if opset < 10 {
        let starts = try original.ints("starts") ?? []
        node.attributes["axes"] = .ints((try original.ints("axes") ?? Array(0..<starts.count)).map(shifted))
      } else {
        let starts = original.input(1).flatMap { graph.initializers[$0] }?.count
        try shiftAxesInput(3, graph: graph, all: starts)
      }
    default:
      break
    }
  }

  /// Input `index` (constant axes) shifted; when absent or empty (which means the same), `0..<all`
  /// shifted (nothing when `all` is nil).
  private mutating func shiftAxesInput(_ index: Int, graph: Graph, all: Int?) throws {
    var axes: [Int] = []
    if let name = node.input(index) {
      guard let t = graph.initializers[name], t.isLoaded else { return }  // the rule reports it
      axes = t.int64s.map { Int($0) }
    }
    if axes.isEmpty {
      guard let all else { return }
      axes = Array(0..<all)
      while node.inputs.count <= index { node.inputs.append("") }
      if node.inputs[index].isEmpty { node.inputs[index] = "\(node.name)#whole-axes" }
    }
    constants[index] = Tensor(int64s: axes.map { Int64($0 >= 0 ? $0 + 1 : $0) }, dims: [axes.count])
  }
}
