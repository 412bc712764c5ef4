import GraphIR

/// Runs channels-last work in channels-first layout: a `Transpose(v, [0, 3, 1, 2])` back to
/// NCHW is moved up through the chain of ops that only read `v`'s last axis — LayerNormalization
/// over it (which becomes `graphc.ChannelNorm`), MatMul by a constant `[K, N]` (a 1x1 Conv over the
/// channels), element-wise ops with a scalar or per-channel `[N]` constant (which becomes
/// `[N, 1, 1]`), and activations — as long as each value of the chain has no other reader. Where
/// the chain starts at a `Transpose(x, [0, 2, 3, 1])`, the two transposes cancel. ConvNeXt's blocks
///
///     Transpose → LayerNorm → MatMul → Add → GELU → MatMul → Add → Transpose → Mul(scale) → Add(x)
///
/// become `ChannelNorm → Conv 1x1 (+GELU) → Conv 1x1`, whose bias, layer scale and residual then
/// fold and fuse into the convolutions (weights packed at compile time, the epilogue doing the
/// element-wise work) instead of two transposes, a dense step and five passes over memory.
/// A chain that does not start at a transpose moves only when it holds a MatMul: elsewhere the
/// transpose would just trade places.
public struct ChannelsFirst: Pass {
  public let name = "channels-first"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = GraphRewriter(context.graph)
    var inserted: [Int: [Node]] = [:]  // transposes to put before node i
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let back = graph[index]
      guard back.domain.isEmpty, back.opType == "Transpose", (try? back.ints("perm")) == [0, 3, 1, 2],
        let v = back.input(0), let out = back.outputs.first, !graph.isOutput(v)
      else { continue }
      // The chain above the transpose, bottom up, with each node's channels-last operand.
      var chain: [(node: Int, operand: String)] = []
      var value = v, reader = index
      while let p = graph.producer(of: value), graph.soleConsumer(of: value) == reader, let operand = Self.operand(of: graph[p], graph, context) {
        chain.append((p, operand))
        value = operand
        reader = p
      }
      guard let top = chain.last else { continue }
      // Where the chain starts at a Transpose to channels-last, the two cancel; elsewhere the
      // transpose moves up only past work that gains from it.
      let start = graph.producer(of: top.operand).flatMap { t -> (Int, String)? in
        let node = graph[t]
        guard node.domain.isEmpty, node.opType == "Transpose", (try? node.ints("perm")) == [0, 2, 3, 1],
          graph.soleConsumer(of: top.operand) == top.node, let input = node.input(0)
        else { return nil }
        return (t, input)
      }
      guard start != nil || chain.contains(where: { graph[$0.node].opType == "MatMul" }) else { continue }
      let reading: String
      if let (t, input) = start {
        graph.remove(t)
        reading = input
      } else {
        // A transpose of the chain's input before its first node; each node then reads channels-first.
        let moved = Node(name: back.name, opType: "Transpose", inputs: [top.operand], outputs: [back.name + "#channels-first"],
                         attributes: back.attributes)
        inserted[top.node, default: []].append(moved)
        context.shapes[moved.outputs[0]] = context.shapes[top.operand].map(Self.channelsFirst)
        context.elementTypes[moved.outputs[0]] = context.elementTypes[top.operand]
        reading = moved.outputs[0]
      }
      for (p, operand) in chain {
        let result = graph[p].outputs[0]
        context.shapes[result] = context.shapes[result].map(Self.channelsFirst)
        var node = Self.channelsFirst(graph[p], &graph)
        let input = p == top.node ? reading : operand
        node.inputs = node.inputs.map { $0 == operand ? input : $0 }
        graph.replace(p, with: node)
      }
      graph.remove(index)
      if graph.isOutput(out) {
        // The chain's last node writes the graph output itself.
        var bottom = graph[chain[0].node]
        bottom.outputs[0] = out
        graph.replace(chain[0].node, with: bottom)
      } else {
        graph.replaceUses(of: out, with: v)
      }
    }
    context.graph = graph.finish(inserting: inserted)
  }

  /// The channels-last operand through which `node` can take its input channels-first, or nil.
  private static func operand(of node: Node, _ graph: GraphRewriter, _ context: CompilationContext) -> String? {
    let binary = ["Add", "Sub", "Mul", "Div"].contains(node.opType) && node.domain.isEmpty
    // The runtime operand: a binary op's non-constant side, else input 0.
    guard node.domain.isEmpty || node.domain == CompilerOps.domain, node.outputs.count == 1 || node.opType == "LayerNormalization",
      let x = binary ? node.inputs.first(where: { graph.constant($0) == nil }) : node.input(0),
      let shape = context.shapes[x], shape.rank == 4, let channels = shape[3].value
    else { return nil }
    if binary {
      // With a scalar or per-channel constant on the other side, and the operand's own shape out.
      guard node.inputs.count == 2, let c = node.inputs.first(where: { $0 != x }).flatMap(graph.constant), c.isLoaded,
        lastAxisVector(c, channels: channels) != nil, context.shapes[node.outputs[0]] == shape
      else { return nil }
      return x
    }
    switch node.opType {
    case "LayerNormalization" where node.domain.isEmpty:
      // Over the last axis only, with per-channel constants and no statistics read.
      let axis = (try? node.int("axis", default: -1)) ?? 0
      guard axis == -1 || axis == 3, node.inputs.dropFirst().allSatisfy({ $0.isEmpty || graph.constant($0)?.elementCount == channels }),
        node.outputs.dropFirst().allSatisfy({ $0.isEmpty || !(graph.isRead($0) || graph.isOutput($0)) })
      else { return nil }
      return x
    case "MatMul" where node.domain.isEmpty:
      guard node.inputs.count == 2, let w = graph.constant(node.inputs[1]), w.isLoaded, w.dataType == .float,
        w.dims.count == 2, w.dims[0] == channels
      else { return nil }
      return x
    default:
      // An activation of input 0 whose other inputs (Clip's bounds, Pow's exponent) are constants.
      guard let definition = OperatorRegistry.definition(for: node), definition is any ActivationOperator.Type,
        node.inputs.dropFirst().allSatisfy({ $0.isEmpty || graph.constant($0) != nil })
      else { return nil }
      return x
    }
  }

  /// `[N, H, W, C]` → `[N, C, H, W]`.
  static func channelsFirst(_ shape: Shape) -> Shape { Shape([shape[0], shape[3], shape[1], shape[2]]) }

  /// A constant that broadcasts along the last of 4 axes only (`[]`, `[N]`, `[1, N]`, ... `[1, 1, 1, N]`,
  /// or one value), as its values and whether it is per channel.
  static func lastAxisVector(_ t: Tensor, channels: Int) -> (values: [Float], perChannel: Bool)? {
    guard t.dataType == .float, t.dims.count <= 4 else { return nil }
    if t.elementCount == 1 { return (t.floats, false) }
    guard t.dims.last == channels, t.dims.dropLast().allSatisfy({ $0 == 1 }) else { return nil }
    return (t.floats, true)
  }

  /// `node` rewritten to read and write channels-first: MatMul as a 1x1 Conv, a per-channel
  /// constant as `[N, 1, 1]` (new initializers; the old ones die if nothing else reads them).
  private static func channelsFirst(_ node: Node, _ graph: inout GraphRewriter) -> Node {
    var node = node
    switch node.opType {
    case "LayerNormalization":
      node = Node(
        name: node.name, opType: CompilerOps.channelNorm, domain: CompilerOps.domain, inputs: Array(node.inputs.prefix(3)),
        outputs: [node.outputs[0]], attributes: node.attributes["epsilon"].map { ["epsilon": $0] } ?? [:])
    case "MatMul":
      let name = node.inputs[1], w = graph.constant(name)!
      let (k, n) = (w.dims[0], w.dims[1])
      let weights = w.floats
      let conv = name + "#1x1"
      if graph.constant(conv) == nil {
        // [K, N] → [N, K, 1, 1].
        graph.setInitializer(conv, Tensor(floats: (0..<(n * k)).map { weights[($0 % k) * n + $0 / k] }, dims: [n, k, 1, 1]))
      }
      node.opType = "Conv"
      node.inputs[1] = conv
      node.attributes = ["kernel_shape": .ints([1, 1])]
    case "Add", "Sub", "Mul", "Div":
      for side in [0, 1] {
        guard let c = graph.constant(node.inputs[side]), let (values, perChannel) = lastAxisVector(c, channels: c.dims.last ?? 1),
          perChannel
        else { continue }
        let name = node.inputs[side] + "#c11"
        if graph.constant(name) == nil { graph.setInitializer(name, Tensor(floats: values, dims: [values.count, 1, 1])) }
        node.inputs[side] = name
      }
    default:
      break
    }
    return node
  }
}
