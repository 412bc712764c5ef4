import GraphIR
import GraphPlan

/// Fuses Conv + (residual Add) + activation, Gemm + activation and MatMul + bias
/// into single steps. Any op whose definition offers a fusable activation fuses;
/// what a node absorbed is recorded in ``CompilationContext/fusions``.
public struct FuseActivations: Pass {
  public let name = "fuse"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    var graph = GraphRewriter(context.graph)
    fuseSiLU(&graph, context)
    fuseMatMulBias(&graph, context)
    fuseResiduals(&graph, context)
    fuseActivations(&graph, context)
    context.graph = graph.finish()
  }

  /// Sigmoid(x) → Mul(x, that), the Sigmoid used only there: one `graphc.SiLU` node, which the
  /// steps below then fuse into a conv or dense step like any activation.
  private func fuseSiLU(_ graph: inout GraphRewriter, _ context: CompilationContext) {
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let sigmoid = graph[index]
      guard sigmoid.domain.isEmpty, sigmoid.opType == "Sigmoid", let x = sigmoid.inputs.first, let s = sigmoid.outputs.first,
        let m = graph.soleConsumer(of: s), graph[m].opType == "Mul", graph[m].domain.isEmpty,
        Set(graph[m].inputs) == [x, s], graph[m].inputs.count == 2, context.shapes[x] == context.shapes[graph[m].outputs[0]]
      else { continue }
      let mul = graph[m]
      graph.remove(m)
      graph.replace(index, with: Node(name: sigmoid.name, opType: CompilerOps.silu, domain: CompilerOps.domain, inputs: [x], outputs: mul.outputs))
      context.fusions[sigmoid.name] = Fusion(activation: .silu, absorbed: [sigmoid.name, mul.name])
    }
  }

  /// MatMul(x, W) → Add(bias), with constant W [K, N] and bias [N], is a Gemm (on every row of `x`).
  private func fuseMatMulBias(_ graph: inout GraphRewriter, _ context: CompilationContext) {
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let matmul = graph[index]
      guard matmul.domain.isEmpty, matmul.opType == "MatMul", let out = matmul.outputs.first,
        let w = graph.constant(matmul.inputs[1]), w.dims.count == 2, (context.shapes[matmul.inputs[0]]?.rank ?? 0) >= 2,
        let a = graph.soleConsumer(of: out), graph[a].opType == "Add", graph[a].domain.isEmpty
      else { continue }
      let add = graph[a]
      let biasName = add.inputs[0] == out ? add.inputs[1] : add.inputs[0]
      guard let bias = graph.constant(biasName), bias.elementCount == w.dims[1], bias.dims.count <= 2 else { continue }
      graph.remove(a)
      graph.replace(
        index,
        with: Node(
          name: matmul.name, opType: CompilerOps.fusedGemm, domain: CompilerOps.domain,
          inputs: [matmul.inputs[0], matmul.inputs[1], biasName], outputs: add.outputs))
      context.fusions[matmul.name] = Fusion(activation: .none, absorbed: [matmul.name, add.name])
    }
  }

  /// Conv → Add(other) [→ activation]: the Add becomes the conv's residual input.
  private func fuseResiduals(_ graph: inout GraphRewriter, _ context: CompilationContext) {
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let add = graph[index]
      guard add.domain.isEmpty, add.opType == "Add", add.inputs.count == 2, let out = add.outputs.first,
        let shape = context.shapes[out]
      else { continue }
      // Prefer the operand produced later, so the other one is already computed when the conv runs.
      let candidates = [0, 1].compactMap { side -> (Int, String)? in
        let v = add.inputs[side]
        guard let p = graph.producer(of: v), graph[p].opType == "Conv", graph[p].domain.isEmpty,
          graph.soleConsumer(of: v) == index, context.shapes[add.inputs[1 - side]] == shape,
          graph.constant(add.inputs[1 - side]) == nil
        else { return nil }
        return (p, add.inputs[1 - side])
      }.sorted { $0.0 > $1.0 }
      guard let (p, residual) = candidates.first,
        graph.producer(of: residual).map({ $0 < p }) ?? true
      else { continue }
      var conv = graph[p]
      conv.domain = CompilerOps.domain
      conv.opType = CompilerOps.fusedConv
      while conv.inputs.count < 3 { conv.inputs.append("") }
      conv.inputs.append(residual)
      conv.outputs = [out]
      var fusion = Fusion(activation: .none, absorbed: [conv.name, add.name])
      if let r = graph.soleConsumer(of: out), let act = activation(graph[r], graph, context) {
        fusion.activation = act
        fusion.absorbed += context.fusions[graph[r].name]?.absorbed ?? [graph[r].name]
        conv.outputs = [graph[r].outputs[0]]
        graph.remove(r)
        context.report.convAddRelu += 1
      }
      context.fusions[conv.name] = fusion
      graph.remove(index)
      graph.replace(p, with: conv)
    }
  }

  /// Conv/Gemm (fused or not, without an activation yet) or ConvTranspose → activation.
  private func fuseActivations(_ graph: inout GraphRewriter, _ context: CompilationContext) {
    for index in 0..<graph.nodeCount where !graph.isRemoved(index) {
      let node = graph[index]
      let isConv = node.opType == "Conv" && node.domain.isEmpty
      let isGemm = node.opType == "Gemm" && node.domain.isEmpty
      let isFused = node.domain == CompilerOps.domain && [CompilerOps.fusedConv, CompilerOps.fusedGemm].contains(node.opType)
        && context.fusions[node.name]?.activation == Activation.none
      // ConvTranspose applies its activation at the end of its own step: it keeps its op type.
      let isConvTranspose = node.opType == "ConvTranspose" && node.domain.isEmpty && context.fusions[node.name] == nil
      guard isConv || isGemm || isFused || isConvTranspose, let out = node.outputs.first, let r = graph.soleConsumer(of: out),
        let act = activation(graph[r], graph, context)
      else { continue }
      var fused = node
      let isDense = isGemm || node.opType == CompilerOps.fusedGemm
      if !isConvTranspose {
        fused.domain = CompilerOps.domain
        fused.opType = isDense ? CompilerOps.fusedGemm : CompilerOps.fusedConv
      }
      fused.outputs = [graph[r].outputs[0]]
      let absorbed = context.fusions[node.name]?.absorbed ?? [node.name]
      context.fusions[node.name] = Fusion(activation: act, absorbed: absorbed + (context.fusions[graph[r].name]?.absorbed ?? [graph[r].name]))
      graph.remove(r)
      graph.replace(index, with: fused)
      if isDense { context.report.gemmRelu += 1 } else if isConv || isConvTranspose { context.report.convRelu += 1 } else { context.report.convAddRelu += 1 }
    }
  }

  /// The activation `node` applies when its definition offers one and its parameters are
  /// known; a node whose parameters are not constants is left for lowering to report.
  private func activation(_ node: Node, _ graph: GraphRewriter, _ context: CompilationContext) -> Activation? {
    guard let definition = OperatorRegistry.definition(for: node) else { return nil }
    let operands = GraphOperands(node: node, opset: context.model.opsetVersion, graph: graph.graph)
    return (try? definition.fusableActivation(operands)) ?? nil
  }
}
