import GraphIR

/// The compiler's own ops (domain `graphc`), produced by fusion and views.
public enum CompilerOps {
  public static let domain = "graphc"
  /// Conv with optional residual input 3 and an `activation` attribute ("Relu", "Clip").
  public static let fusedConv = "FusedConv"
  /// Gemm with an `activation` attribute.
  public static let fusedGemm = "FusedGemm"
  /// A reshape that copies nothing: its output aliases its input.
  public static let view = "View"
}

/// Fuses Conv + (residual Add) + ReLU/Clip and Gemm + ReLU into single steps.
public struct FuseActivations: Pass {
  public let name = "fuse"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = context.graph
    fuseMatMulBias(&graph, context)
    try fuseResiduals(&graph, context)
    try fuseActivations(&graph, context)
    context.graph = graph
  }

  /// MatMul(x, W) → Add(bias), with constant W [K, N] and bias [N], is a Gemm.
  private func fuseMatMulBias(_ graph: inout Graph, _ context: CompilationContext) {
    var index = 0
    while index < graph.nodes.count {
      let matmul = graph.nodes[index]
      guard matmul.domain.isEmpty, matmul.opType == "MatMul", let out = matmul.outputs.first,
        let w = graph.constant(matmul.inputs[1]), w.dims.count == 2, context.shapes[matmul.inputs[0]]?.rank == 2,
        let a = graph.soleConsumer(of: out), graph.nodes[a].opType == "Add", graph.nodes[a].domain.isEmpty
      else { index += 1; continue }
      let add = graph.nodes[a]
      let biasName = add.inputs[0] == out ? add.inputs[1] : add.inputs[0]
      guard let bias = graph.constant(biasName), bias.elementCount == w.dims[1], bias.dims.count <= 2 else {
        index += 1; continue
      }
      graph.nodes[index] = Node(
        name: matmul.name, opType: "Gemm", inputs: [matmul.inputs[0], matmul.inputs[1], biasName], outputs: add.outputs,
        attributes: ["absorbed": .strings([matmul.name, add.name])])
      graph.nodes.remove(at: a)
      index += 1
    }
  }

  /// Conv → Add(other) [→ Relu]: the Add becomes the conv's residual input.
  private func fuseResiduals(_ graph: inout Graph, _ context: CompilationContext) throws {
    var index = 0
    while index < graph.nodes.count {
      let add = graph.nodes[index]
      guard add.domain.isEmpty, add.opType == "Add", add.inputs.count == 2, let out = add.outputs.first,
        let shape = context.shapes[out]
      else { index += 1; continue }
      // Prefer the operand produced later, so the other one is already computed when the conv runs.
      let candidates = [0, 1].compactMap { side -> (Int, String)? in
        let v = add.inputs[side]
        guard let p = graph.producer(of: v), graph.nodes[p].opType == "Conv", graph.nodes[p].domain.isEmpty,
          graph.soleConsumer(of: v) == index, context.shapes[add.inputs[1 - side]] == shape,
          graph.initializers[add.inputs[1 - side]] == nil
        else { return nil }
        return (p, add.inputs[1 - side])
      }.sorted { $0.0 > $1.0 }
      guard let (p, residual) = candidates.first,
        graph.producer(of: residual).map({ $0 < p }) ?? true
      else { index += 1; continue }
      var conv = graph.nodes[p]
      conv.domain = CompilerOps.domain
      conv.opType = CompilerOps.fusedConv
      while conv.inputs.count < 3 { conv.inputs.append("") }
      conv.inputs.append(residual)
      conv.outputs = [out]
      conv.attributes["absorbed"] = .strings(absorbed(graph.nodes[p]) + [add.name])
      var absorbedRelu = false
      if let r = graph.soleConsumer(of: out), let act = try activation(graph.nodes[r], graph) {
        conv.attributes.merge(act) { $1 }
        conv.outputs = [graph.nodes[r].outputs[0]]
        conv.attributes["absorbed"] = .strings(absorbed(conv) + [graph.nodes[r].name])
        graph.nodes.remove(at: r)
        absorbedRelu = true
      }
      graph.nodes[p] = conv
      graph.nodes.remove(at: index)
      if absorbedRelu { context.report.convAddRelu += 1 }
    }
  }

  /// Conv/Gemm → Relu or Clip(0, max).
  private func fuseActivations(_ graph: inout Graph, _ context: CompilationContext) throws {
    var index = 0
    while index < graph.nodes.count {
      let node = graph.nodes[index]
      let isConv = node.opType == "Conv" && node.domain.isEmpty
      let isPlainFused = node.opType == CompilerOps.fusedConv && node.attributes["activation"] == nil
      let isGemm = node.opType == "Gemm" && node.domain.isEmpty
      guard isConv || isPlainFused || isGemm, let out = node.outputs.first, let r = graph.soleConsumer(of: out),
        let act = try activation(graph.nodes[r], graph)
      else { index += 1; continue }
      var fused = node
      fused.domain = CompilerOps.domain
      fused.opType = isGemm ? CompilerOps.fusedGemm : CompilerOps.fusedConv
      fused.attributes.merge(act) { $1 }
      fused.attributes["absorbed"] = .strings(absorbed(node) + [graph.nodes[r].name])
      fused.outputs = [graph.nodes[r].outputs[0]]
      graph.nodes[index] = fused
      graph.nodes.remove(at: r)
      if isGemm { context.report.gemmRelu += 1 } else if isConv { context.report.convRelu += 1 } else { context.report.convAddRelu += 1 }
      index += 1
    }
  }

  private func absorbed(_ node: Node) -> [String] {
    if case .strings(let names)? = node.attributes["absorbed"] { return names }
    return [node.name]
  }

  /// The activation attributes for a Relu, or a Clip whose bounds are constants with min 0.
  private func activation(_ node: Node, _ graph: Graph) throws -> [String: Attribute]? {
    guard node.domain.isEmpty else { return nil }
    if node.opType == "Relu" { return ["activation": .string("Relu")] }
    guard node.opType == "Clip" else { return nil }
    var lo = try node.float("min", default: -.infinity), hi = try node.float("max", default: .infinity)
    if let m = node.input(1) { guard let t = graph.constant(m), t.count == 1 else { return nil }; lo = t.floats[0] }
    if let m = node.input(2) { guard let t = graph.constant(m), t.count == 1 else { return nil }; hi = t.floats[0] }
    return ["activation": .string("Clip"), "clip_min": .float(lo), "clip_max": .float(hi)]
  }
}
