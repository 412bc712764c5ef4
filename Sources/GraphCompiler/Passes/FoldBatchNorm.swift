import GraphIR

/// Folds inference BatchNorm, and per-channel Mul/Add by constants, into the
/// preceding Conv's (ConvTranspose's, Gemm's) weights and bias. What cannot be folded stays
/// and is lowered to a per-channel scale and shift.
public struct FoldBatchNorm: Pass {
  public let name = "fold-batchnorm"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = GraphRewriter(context.graph)
    // In order, so a chain (BatchNorm, then Mul, then Add) folds link by link into one conv.
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let node = graph[index]
      guard let (scale, shift, x) = try channelAffine(node, graph.graph, context),
        let p = graph.producer(of: x), graph.soleConsumer(of: x) == index,
        try fold(scale: scale, shift: shift, into: p, &graph, opset: context.model.opsetVersion)
      else { continue }
      let out = node.outputs[0]
      graph.remove(index)
      var producer = graph[p]
      producer.outputs[0] = out
      graph.replace(p, with: producer)
      context.shapes[out] = context.shapes[x]
      if node.opType == "BatchNormalization" { context.report.batchnormFolded += 1 } else { context.report.affineFolded += 1 }
    }
    context.graph = graph.finish()
  }

  /// `y = x * scale[c] + shift[c]`, and `x`, when `node` is a BatchNorm or a per-channel Mul/Add
  /// by a constant (on either side: ConvNeXt multiplies `layer_scale * x`).
  private func channelAffine(_ node: Node, _ graph: Graph, _ context: CompilationContext) throws -> ([Float], [Float], String)? {
    let constantFirst = ["Mul", "Add"].contains(node.opType) && node.inputs.count == 2 && graph.initializers[node.inputs[0]] != nil
      && graph.initializers[node.inputs[1]] == nil
    guard node.domain.isEmpty, let x = node.input(constantFirst ? 1 : 0), let shape = context.shapes[x], shape.rank >= 2,
      let channels = shape[1].value
    else { return nil }
    switch node.opType {
    case "BatchNormalization":
      let operands = GraphOperands(node: node, opset: context.model.opsetVersion, graph: graph)
      return try BatchNormalizationOp.scaleShift(operands, channels: channels).map { ($0.0, $0.1, x) }
    case "Mul", "Add":
      guard let other = node.input(constantFirst ? 0 : 1), let c = graph.initializers[other], c.isLoaded,
        let perChannel = Self.perChannel(c, channels: channels, rank: shape.rank),
        context.shapes[node.outputs[0]] == shape
      else { return nil }
      return node.opType == "Mul"
        ? (perChannel, [Float](repeating: 0, count: channels), x)
        : ([Float](repeating: 1, count: channels), perChannel, x)
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

  /// Scales output channel `m` of the Conv, ConvTranspose or Gemm at `p` by `scale[m]` and adds `shift[m]` to its bias.
  func fold(scale: [Float], shift: [Float], into p: Int, _ graph: inout GraphRewriter, opset: Int) throws -> Bool {
    let producer = graph[p]
    guard producer.domain.isEmpty, let wName = producer.input(1), let w = graph.constant(wName), w.isLoaded,
      w.dataType == .float
    else { return false }
    let channels = scale.count
    var weights = w.floats
    // Gemm's attributes as Gemm reads them; a Conv's weights are [M, ...], like a transposed B.
    let gemm = producer.opType == "Gemm" ? try GemmOp.Attributes(GraphOperands(node: producer, opset: opset, graph: graph.graph)) : nil
    let transB = gemm?.transB ?? true
    switch producer.opType {
    case "Conv":
      guard w.dims.first == channels else { return false }
      let per = weights.count / channels
      for m in 0..<channels { for i in 0..<per { weights[m * per + i] *= scale[m] } }
    case "ConvTranspose":
      // Weights [C, M/g, kernel...]: output channel m = group * M/g + j is column j of each of its group's input channels.
      let group = try ConvOp.group(GraphOperands(node: producer, opset: opset, graph: graph.graph))
      guard w.dims.count >= 3, w.dims[1] * group == channels, w.dims[0] % group == 0 else { return false }
      let perGroup = w.dims[1], inPerGroup = w.dims[0] / group, taps = weights.count / (w.dims[0] * perGroup)
      for c in 0..<w.dims[0] {
        for j in 0..<perGroup {
          let s = scale[(c / inPerGroup) * perGroup + j]
          for t in 0..<taps { weights[(c * perGroup + j) * taps + t] *= s }
        }
      }
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
    graph.setInitializer(newW, Tensor(floats: weights, dims: w.dims))
    graph.setInitializer(newB, Tensor(floats: bias, dims: [channels]))
    var folded = producer
    while folded.inputs.count < 3 { folded.inputs.append("") }
    folded.inputs[1] = newW
    folded.inputs[2] = newB
    if producer.opType == "Gemm" { folded.attributes["beta"] = .float(1) }
    graph.replace(p, with: folded)
    return true
  }

  func uniqueName(_ base: String, _ graph: GraphRewriter) -> String {
    var name = base, i = 1
    while graph.constant(name) != nil { i += 1; name = "\(base)\(i)" }
    return name
  }
}
