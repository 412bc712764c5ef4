import GraphIR
import GraphPlan

/// Turns the optimized graph into kernel steps: picks a kernel per node, packs
/// its weights, and makes Concat inputs write straight into their slice.
struct Lowering {
  let context: CompilationContext
  var program = LoweredProgram()
  private var graph: Graph { context.graph }

  init(context: CompilationContext) { self.context = context }

  mutating func run() throws -> LoweredProgram {
    let batchSymbol = try findBatch()
    program.weights.reserve(graph.initializers.values.map { $0.elementCount + 16 }.reduce(0, +))
    for input in graph.inputs {
      // An input without the batch in front can only be a weight fed at run time, which the
      // plan cannot take: the node using it reports that below.
      guard let dims = try? perItem(input.name, batchSymbol) else { continue }
      program.inputs.append(input.name)
      program.values[input.name] = .init(dims: dims)
    }
    var unsupported: [String] = []
    for node in graph.nodes {
      for out in node.outputs where !out.isEmpty {
        program.values[out] = .init(dims: try perItem(out, batchSymbol))
      }
      do {
        try lower(node)
      } catch let e as Unsupported {
        unsupported.append("\(node.label)\(e.reason.isEmpty ? "" : " (\(e.reason))")")
      }
    }
    if !unsupported.isEmpty {
      throw GraphError("", "cannot compile: " + unsupported.joined(separator: ", "))
    }
    for output in graph.outputs {
      guard program.values[output.name] != nil else { throw GraphError("output '\(output.name)'", "is a constant; constant outputs are not supported") }
      program.outputs.append(output.name)
    }
    return program
  }

  struct Unsupported: Error { var reason = "" }

  /// The batch: the leading dim of the inputs, a symbol (the first one found) or fixed by `--batch`.
  private func findBatch() throws -> Dim {
    let leading = graph.inputs.compactMap { context.shapes[$0.name]?.dims.first }
    if let symbol = leading.first(where: { $0.value == nil }) { return symbol }
    guard let first = leading.first else { throw GraphError("", "the graph has no input with a batch dimension") }
    return first
  }

  /// The per-item dims of an activation: its shape without the leading batch dim.
  private func perItem(_ name: String, _ batch: Dim) throws -> [Int] {
    guard let shape = context.shapes[name] else { throw GraphError("value '\(name)'", "has no inferred shape") }
    guard shape.rank >= 1, shape[0] == batch, let dims = Shape(Array(shape.dims.dropFirst())).fixedDims else {
      throw GraphError("value '\(name)'", "shape \(shape) must have the batch \(batch) as its leading dimension and known other dims")
    }
    return dims
  }

  private func dims(_ name: String) -> [Int] { program.values[name]?.dims ?? [] }

  private func constant(_ node: Node, _ i: Int) throws -> Tensor {
    guard let name = node.input(i), let t = graph.initializers[name] else {
      throw Unsupported(reason: "input \(i)\(node.input(i).map { " ('\($0)')" } ?? "") must be a constant (an initializer)")
    }
    guard t.isLoaded else { throw GraphError("initializer '\(name)'", "external data was not loaded") }
    return t
  }

  private mutating func emit(_ node: Node, _ kernel: Kernel, inputs: [String]) {
    var absorbed = [node.name]
    if case .strings(let names)? = node.attributes["absorbed"] { absorbed = names }
    program.steps.append(.init(name: node.name, absorbed: absorbed, kernel: kernel, inputs: inputs, output: node.outputs[0]))
  }

  private func activation(_ node: Node) throws -> Activation {
    switch try node.string("activation", default: "") {
    case "": return .none
    case "Relu": return .relu
    case "Clip": return .clip(min: try node.float("clip_min", default: -.infinity), max: try node.float("clip_max", default: .infinity))
    case let other: throw GraphError.node(node, "unknown fused activation '\(other)'")
    }
  }

  // MARK: - One node

  private mutating func lower(_ node: Node) throws {
    guard let x = node.input(0), program.values[x] != nil else {
      throw Unsupported(reason: "its first input \(node.input(0).map { "'\($0)' " } ?? "")is not a batched value computed at run time")
    }
    let op = node.domain == CompilerOps.domain ? node.opType : (node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)")
    let out = node.outputs[0]
    switch op {
    case "Conv", CompilerOps.fusedConv:
      try lowerConv(node, x)
    case "MaxPool", "AveragePool":
      try lowerPool(node, x, kind: op == "MaxPool" ? .max : .average)
    case "GlobalAveragePool", "GlobalMaxPool":
      emit(node, .globalPool(op == "GlobalMaxPool" ? .max : .average), inputs: [x])
    case "ReduceMean":
      let d = dims(x)
      let axes = try node.ints("axes") ?? (node.input(1).flatMap { graph.initializers[$0] }?.int64s.map(Int.init))
      let rank = d.count + 1
      guard let axes, Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == Set(2..<rank), rank >= 3 else {
        throw Unsupported(reason: "only a mean over all spatial axes is supported")
      }
      emit(node, .globalPool(.average), inputs: [x])
    case "Gemm", CompilerOps.fusedGemm, "MatMul":
      try lowerDense(node, x, op)
    case "Add", "Sub", "Mul", "Div", "Sum":
      try lowerBinary(node, op)
    case "Relu":
      emit(node, .activation(.relu), inputs: [x])
    case "Clip":
      var lo = try node.float("min", default: -.infinity), hi = try node.float("max", default: .infinity)
      if node.input(1) != nil { lo = try constant(node, 1).floats.first ?? lo }
      if node.input(2) != nil { hi = try constant(node, 2).floats.first ?? hi }
      emit(node, .activation(.clip(min: lo, max: hi)), inputs: [x])
    case "BatchNormalization":
      guard let (scale, shift) = try FoldBatchNorm().channelAffine(node, graph, context) else {
        throw Unsupported(reason: "its parameters must be constants")
      }
      emit(node, .channelAffine(scale: program.weights.add(scale), shift: program.weights.add(shift), activation: .none), inputs: [x])
    case "LRN":
      guard let size = try node.int("size") else { throw GraphError.node(node, "LRN needs a 'size' attribute") }
      emit(node, .lrn(size: size, alpha: try node.float("alpha", default: 0.0001), beta: try node.float("beta", default: 0.75),
                      bias: try node.float("bias", default: 1)), inputs: [x])
    case "Softmax":
      let rank = dims(x).count + 1
      var axis = try node.int("axis", default: context.model.opsetVersion >= 13 ? -1 : 1)
      if axis < 0 { axis += rank }
      guard axis >= 1, axis < rank else { throw Unsupported(reason: "softmax across the batch") }
      if context.model.opsetVersion < 13 && axis < rank - 1 {
        // Before opset 13 Softmax normalizes over all dims from `axis` on, as one flattened axis.
        throw Unsupported(reason: "opset < 13 softmax over several trailing axes")
      }
      emit(node, .softmax(axis: axis - 1), inputs: [x])
    case "Transpose":
      let rank = dims(x).count + 1
      let perm = try node.ints("perm") ?? Array((0..<rank).reversed())
      guard perm.first == 0, perm.count == rank else { throw Unsupported(reason: "transposes that move the batch axis") }
      emit(node, .transpose(perm: perm.dropFirst().map { $0 - 1 }), inputs: [x])
    case "Concat":
      try lowerConcat(node)
    case CompilerOps.view:
      program.values[out]?.alias = .view(of: x)
    case "Identity", "Dropout":
      // Left by remove-noops only when both ends are graph values it cannot rename.
      emit(node, .copy, inputs: [x])
    default:
      throw Unsupported()
    }
  }

  private mutating func lowerConv(_ node: Node, _ x: String) throws {
    let w = try constant(node, 1)
    let inDims = dims(x), outDims = dims(node.outputs[0])
    guard inDims.count == 3, outDims.count == 3, w.dims.count == 4 else { throw Unsupported(reason: "only 2-D convolution") }
    let window = try SlidingWindow(node, kernel: [w.dims[2], w.dims[3]])
    let pads = window.explicitPads(input: [inDims[1], inDims[2]], output: [outDims[1], outDims[2]])
    let bias = node.input(2) != nil ? program.weights.add(try constant(node, 2).floats) : nil
    let residual = node.inputs.count > 3 && !node.inputs[3].isEmpty ? node.inputs[3] : nil
    let geometry = Conv2DGeometry(
      inChannels: inDims[0], inHeight: inDims[1], inWidth: inDims[2], outChannels: outDims[0],
      kernelHeight: w.dims[2], kernelWidth: w.dims[3],
      strideHeight: window.strides[0], strideWidth: window.strides[1],
      padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
      dilationHeight: window.dilations[0], dilationWidth: window.dilations[1],
      groups: try node.int("group", default: 1))
    guard [geometry.outHeight, geometry.outWidth] == [outDims[1], outDims[2]] else {
      throw Unsupported(reason: "output \(outDims) does not match the convolution's window arithmetic")
    }
    let conv = Convolution(
      geometry: geometry, weights: program.weights.add(w.floats), bias: bias, residual: residual != nil,
      activation: try activation(node))
    emit(node, .conv(conv), inputs: [x] + (residual.map { [$0] } ?? []))
  }

  private mutating func lowerPool(_ node: Node, _ x: String, kind: PoolKind) throws {
    let inDims = dims(x), outDims = dims(node.outputs[0])
    guard inDims.count == 3, outDims.count == 3, let kernel = try node.ints("kernel_shape"), kernel.count == 2 else {
      throw Unsupported(reason: "only 2-D pooling")
    }
    if node.outputs.count > 1, !node.outputs[1].isEmpty { throw Unsupported(reason: "MaxPool indices output") }
    let window = try SlidingWindow(node, kernel: kernel)
    let pads = window.explicitPads(input: [inDims[1], inDims[2]], output: [outDims[1], outDims[2]])
    let geometry = Pool2DGeometry(
      channels: inDims[0], inHeight: inDims[1], inWidth: inDims[2], outHeight: outDims[1], outWidth: outDims[2],
      kernelHeight: kernel[0], kernelWidth: kernel[1], strideHeight: window.strides[0], strideWidth: window.strides[1],
      padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
      dilationHeight: window.dilations[0], dilationWidth: window.dilations[1])
    let pooling = Pooling(kind: kind, geometry: geometry, countIncludePad: try node.int("count_include_pad", default: 0) == 1)
    emit(node, .pool(pooling), inputs: [x])
  }

  /// Gemm and MatMul with a constant right operand become a dense layer, weights [N, K].
  private mutating func lowerDense(_ node: Node, _ x: String, _ op: String) throws {
    let inDims = dims(x), outDims = dims(node.outputs[0])
    guard inDims.count == 1, outDims.count == 1 else { throw Unsupported(reason: "only [batch, features] operands") }
    let (k, n) = (inDims[0], outDims[0])
    let b = try constant(node, 1)
    guard b.dims.count == 2 else { throw Unsupported(reason: "right operand must be a 2-D constant") }
    let isGemm = op != "MatMul"
    if isGemm, try node.int("transA", default: 0) != 0 { throw Unsupported(reason: "transA") }
    let transB = isGemm ? try node.int("transB", default: 0) == 1 : false
    let alpha = isGemm ? try node.float("alpha", default: 1) : 1
    guard b.dims == (transB ? [n, k] : [k, n]) else { throw GraphError.node(node, "weight shape \(b.dims) does not match \(k) → \(n)") }
    // The dense kernel reads [N, K] rows: transpose [K, N] weights once, here.
    var weights = transB ? b.floats : try ConstantEvaluator.transpose(b, [1, 0], node).floats
    if alpha != 1 { weights = weights.map { $0 * alpha } }
    var bias: WeightRef? = nil
    if isGemm, node.input(2) != nil {
      let c = try constant(node, 2)
      let beta = try node.float("beta", default: 1)
      guard c.elementCount == n || c.elementCount == 1 else { throw Unsupported(reason: "bias C must have one value per output") }
      bias = program.weights.add(c.elementCount == 1 ? Array(repeating: c.floats[0] * beta, count: n) : c.floats.map { $0 * beta })
    }
    emit(node, .dense(Dense(inFeatures: k, outFeatures: n, weights: program.weights.add(weights), bias: bias,
                            activation: try activation(node))), inputs: [x])
  }

  private mutating func lowerBinary(_ node: Node, _ op: String) throws {
    guard node.inputs.count == 2 else { throw Unsupported(reason: "\(node.inputs.count) operands") }
    let kind: BinaryOp = op == "Sub" ? .sub : op == "Mul" ? .mul : op == "Div" ? .div : .add
    let (a, b) = (node.inputs[0], node.inputs[1])
    let outDims = dims(node.outputs[0])
    if program.values[a] != nil, program.values[b] != nil {
      emit(node, .binary(Binary(op: kind, leftDims: dims(a), rightDims: dims(b), constant: nil, constantIsLeft: false, activation: .none)), inputs: [a, b])
      return
    }
    let constantIsLeft = program.values[a] == nil
    let (variable, constName) = constantIsLeft ? (b, a) : (a, b)
    guard let c = graph.initializers[constName], c.isLoaded else { throw Unsupported(reason: "an operand is neither computed nor constant") }
    // The constant is shared by every batch item: drop a leading 1 that lines up with the batch.
    var cDims = c.dims
    if cDims.count == outDims.count + 1 {
      guard cDims[0] == 1 else { throw Unsupported(reason: "a constant that varies along the batch") }
      cDims.removeFirst()
    }
    emit(node, .binary(Binary(op: kind, leftDims: dims(variable), rightDims: cDims, constant: program.weights.add(c.floats),
                              constantIsLeft: constantIsLeft, activation: .none)), inputs: [variable])
  }

  /// Concat along channels: each input computed only for it writes into its slice; others are copied.
  private mutating func lowerConcat(_ node: Node) throws {
    let out = node.outputs[0]
    let outDims = dims(out)
    var axis = try node.int("axis", default: 1)
    if axis < 0 { axis += outDims.count + 1 }
    guard axis == 1 else { throw Unsupported(reason: "only concatenation along channels (axis 1)") }
    let producedHere = Set(program.steps.map(\.output))
    var inner = 0
    var seen = Set<String>()
    for input in node.inputs {
      guard let value = program.values[input] else { throw Unsupported(reason: "concatenating a constant") }
      let inPlace = producedHere.contains(input) && value.alias == nil && !graph.isOutput(input)
        && !seen.contains(input) && !program.inputs.contains(input)
      seen.insert(input)
      if inPlace {
        program.values[input]?.alias = .slice(of: out, inner: inner)
        context.report.concatInPlace += 1
      } else {
        let slice = "\(out)#copy\(inner)"
        program.values[slice] = .init(dims: value.dims, alias: .slice(of: out, inner: inner))
        program.steps.append(.init(name: "\(node.name)/copy", absorbed: [node.name], kernel: .copy, inputs: [input], output: slice))
        context.report.copyBytes += value.itemCount * 4
      }
      inner += value.itemCount
    }
    guard inner == outDims.reduce(1, *) else { throw GraphError.node(node, "inputs do not add up to the output shape") }
  }
}
