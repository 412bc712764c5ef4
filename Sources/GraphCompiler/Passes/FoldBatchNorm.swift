import GraphIR

/// Folds inference BatchNorm, and per-channel Mul/Add by constants, into the
/// preceding Conv's (or Gemm's) weights and bias. What cannot be folded stays
/// and is lowered to a per-channel scale and shift.
public struct FoldBatchNorm: Pass {
  public let name = "fold-batchnorm"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    var index = 0
    while index < graph.nodes.count {
      let node = graph.nodes[index]
      if let (scale, shift) = try channelAffine(node, graph, context),
        let x = node.input(0), let p = graph.producer(of: x), graph.soleConsumer(of: x) == index,
        try fold(scale: scale, shift: shift, into: p, &graph, opset: context.model.opsetVersion)
      {
        let out = node.outputs[0]
        graph.nodes[p].outputs[0] = out
        context.shapes[out] = context.shapes[x]
        graph.nodes.remove(at: index)
        if node.opType == "BatchNormalization" { context.report.batchnormFolded += 1 } else { context.report.affineFolded += 1 }
        index = p + 1
        continue
      }
      index += 1
    }
    context.graph = graph
  }

  /// `y = x * scale[c] + shift[c]` when `node` is a BatchNorm or a per-channel Mul/Add by a constant.
  private func channelAffine(_ node: Node, _ graph: Graph, _ context: CompilationContext) throws -> ([Float], [Float])? {
    guard node.domain.isEmpty, let x = node.input(0), let shape = context.shapes[x], shape.rank >= 2,
      let channels = shape[1].value
    else { return nil }
    switch node.opType {
    case "BatchNormalization":
      let operands = GraphOperands(node: node, opset: context.model.opsetVersion, graph: graph)
      return try BatchNormalizationOp.scaleShift(operands, channels: channels)
    case "Mul", "Add":
      guard let other = node.input(1), let c = graph.constant(other), c.isLoaded,
        let perChannel = Self.perChannel(c, channels: channels, rank: shape.rank)
      else { return nil }
      return node.opType == "Mul"
        ? (perChannel, [Float](repeating: 0, count: channels))
        : ([Float](repeating: 1, count: channels), perChannel)
    default:
      return nil
    }
  }

  /// A constant that broadcasts along the channel axis only ([C,1,1], [1,C,1,1], scalar), as C values.
  static func perChannel(_ t: Tensor, channels: Int, rank: Int) -> [Float]? {
    guard t.dims.count <= rank else { return nil }  // a higher rank would broadcast the output to more dims
    if t.elementCount == 1 { return [Float](repeating: t.floats[0], count: channels) }
    var dims = t.dims
    while dims.count < rank { dims.insert(1, at: 0) }
    guard dims.count == rank, dims[1] == channels, dims.enumerated().allSatisfy({ $0.offset == 1 || $0.element == 1 }) else {
      return nil
    }
    return t.floats
  }

  /// Scales output channel `m` of the Conv or Gemm at `p` by `scale[m]` and adds `shift[m]` to its bias.
  func fold(scale: [Float], shift: [Float], into p: Int, _ graph: inout Graph, opset: Int) throws -> Bool {
    let producer = graph.nodes[p]
    guard producer.domain.isEmpty, let wName = producer.input(1), let w = graph.constant(wName), w.isLoaded,
      w.dataType == .float
    else { return false }
    let channels = scale.count
    var weights = w.floats
    // Gemm's attributes as Gemm reads them; a Conv's weights are [M, ...], like a transposed B.
    let gemm = producer.opType == "Gemm" ? try GemmOp.Attributes(GraphOperands(node: producer, opset: opset, graph: graph)) : nil
    let transB = gemm?.transB ?? true
    switch producer.opType {
    case "Conv":
      guard w.dims.first == channels else { return false }
      let per = weights.count / channels
      for m in 0..<channels { for i in 0..<per { weights[m * per + i] *= scale[m] } }
    case "Gemm":
      guard w.dims.count == 2, gemm?.transA == false else { return false }
      let (rows, cols) = (w.dims[0], w.dims[1])
      guard (transB ? rows : cols) == channels else { return false }
      for r in 0..<rows { for c in 0..<cols { weights[r * cols + c] *= scale[transB ? r : c] } }
    default:
      return false
    }
    // Bias: the Conv's input 2 or the Gemm's C (times beta), broadcast to one value per channel.
    var bias = [Float](repeating: 0, count: channels)
    if let bName = producer.input(2), let b = graph.constant(bName) {
      let beta = gemm?.beta ?? 1
      if b.elementCount == 1 { bias = bias.map { _ in b.floats[0] * beta } }
      else if b.elementCount == channels { bias = b.floats.map { $0 * beta } }
      else { return false }
    } else if producer.input(2) != nil {
      return false  // a bias that is not a constant
    }
    for m in 0..<channels { bias[m] = bias[m] * scale[m] + shift[m] }

    // New constants get fresh names: the old ones may be shared with other nodes.
    let newW = uniqueName("\(producer.name).folded_weight", graph), newB = uniqueName("\(producer.name).folded_bias", graph)
    graph.initializers[newW] = Tensor(floats: weights, dims: w.dims)
    graph.initializers[newB] = Tensor(floats: bias, dims: [channels])
    var inputs = producer.inputs
    while inputs.count < 3 { inputs.append("") }
    inputs[1] = newW
    inputs[2] = newB
    graph.nodes[p].inputs = inputs
    if producer.opType == "Gemm" { graph.nodes[p].attributes["beta"] = .float(1) }
    return true
  }

  func uniqueName(_ base: String, _ graph: Graph) -> String {
    var name = base, i = 1
    while graph.initializers[name] != nil { i += 1; name = "\(base)\(i)" }
    return name
  }
}
