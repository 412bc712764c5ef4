import GraphIR
import GraphPlan
import GraphReference

/// Runs an ONNX model node by node with the naive ``Reference`` kernels: the oracle
/// compiled plans are tested against.
///
/// Works on the *unoptimized* graph (default domain only), NCHW, any batch. Every
/// value is a concrete tensor, so shape ops (`Shape`, `Gather`, `Unsqueeze`, `Concat`
/// of integers...) are evaluated with ``ConstantEvaluator`` on the actual shapes.
/// Slow and simple on purpose; nothing here is shared with the passes but the
/// constant evaluator and the reference kernels.
public enum ReferenceInterpreter {
  /// Evaluates `model` on `inputs` (by graph input name) and returns every graph output.
  public static func run(_ model: Model, inputs: [String: FloatTensor]) throws -> [String: FloatTensor] {
    let graph = model.graph
    var values: [String: Tensor] = graph.initializers
    for input in graph.inputs {
      guard let t = inputs[input.name] else { throw GraphError("input '\(input.name)'", "no value given") }
      values[input.name] = Tensor(floats: t.values, dims: t.shape)
    }
    // Evaluate in dependency order (ONNX files are sorted, but do not rely on it).
    var pending = graph.nodes
    while !pending.isEmpty {
      guard let i = pending.firstIndex(where: { node in node.inputs.allSatisfy { $0.isEmpty || values[$0] != nil } }) else {
        throw GraphError("", "nodes \(pending.map(\.label)) have inputs that are never computed")
      }
      let node = pending.remove(at: i)
      let operands = node.inputs.map { $0.isEmpty ? nil : values[$0] }
      let results = try evaluate(node, operands, opset: model.opsetVersion)
      for (name, t) in zip(node.outputs, results) where !name.isEmpty { values[name] = t }
    }
    var outputs: [String: FloatTensor] = [:]
    for output in graph.outputs {
      guard let t = values[output.name] else { throw GraphError("output '\(output.name)'", "was not computed") }
      outputs[output.name] = try FloatTensor(shape: t.dims, values: t.floats)
    }
    return outputs
  }

  // MARK: - One node

  static func evaluate(_ node: Node, _ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else {
      throw GraphError.node(node, "domain '\(node.domain)' is not evaluated by the reference interpreter")
    }
    func input(_ i: Int) throws -> Tensor {
      guard i < inputs.count, let t = inputs[i] else { throw GraphError.node(node, "missing input \(i)") }
      return t
    }
    func optional(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }
    // Nodes without inputs (Constant) never use `x`.
    let x = inputs.first.flatMap { $0 } ?? Tensor(floats: [], dims: [0])

    switch node.opType {
    case "Conv":
      return [try conv(node, x, try input(1), optional(2))]
    case "MaxPool", "AveragePool":
      return [try pool(node, x, kind: node.opType == "MaxPool" ? .max : .average)]
    case "GlobalAveragePool", "GlobalMaxPool":
      let (n, c) = (x.dims[0], x.dims[1])
      let spatial = x.dims.dropFirst(2).reduce(1, *)
      let out = run(count: n * c, x) { src, dst in
        Reference.globalPool(node.opType == "GlobalMaxPool" ? .max : .average, batch: n, channels: c, spatial: spatial,
                             input: src, output: dst)
      }
      return [Tensor(floats: out, dims: [n, c] + Array(repeating: 1, count: x.dims.count - 2))]
    case "Gemm":
      return [try gemm(node, x, try input(1), optional(2))]
    case "MatMul":
      let b = try input(1)
      let shape = try Reference.matmulShape(x.dims, b.dims)
      let out = run(count: shape.reduce(1, *), x, b) { pa, pb, dst in
        _ = try? Reference.matmul(a: pa, aShape: x.dims, b: pb, bShape: b.dims, output: dst)
      }
      return [Tensor(floats: out, dims: shape)]
    case "Add", "Sub", "Mul", "Div", "Sum":
      if inputs.allSatisfy({ $0?.dataType.isInteger == true }) { break }  // shape arithmetic
      let op: BinaryOp = ["Sub": .sub, "Mul": .mul, "Div": .div][node.opType] ?? .add
      let operands = node.opType == "Sum" ? inputs.count : 2
      var acc = x
      for i in 1..<max(operands, 1) { acc = try binary(op, acc, try input(i)) }
      return [acc]
    case "Relu":
      return [Tensor(floats: run(count: x.elementCount, x) { Reference.relu($0, count: x.elementCount, output: $1) }, dims: x.dims)]
    case "Clip":
      var lo = try node.float("min", default: -.infinity), hi = try node.float("max", default: .infinity)
      if let m = optional(1) { lo = m.floats[0] }
      if let m = optional(2) { hi = m.floats[0] }
      return [Tensor(floats: run(count: x.elementCount, x) { Reference.clip($0, count: x.elementCount, min: lo, max: hi, output: $1) }, dims: x.dims)]
    case "BatchNormalization":
      let (gamma, beta, mean, variance) = (try input(1).floats, try input(2).floats, try input(3).floats, try input(4).floats)
      let eps = try node.float("epsilon", default: 1e-5)
      let (n, c) = (x.dims[0], x.dims[1])
      let out = run(count: x.elementCount, x) { src, dst in
        Reference.batchNormalization(src, batch: n, channels: c, spatial: x.dims.dropFirst(2).reduce(1, *),
                                     scale: gamma, bias: beta, mean: mean, variance: variance, epsilon: eps, output: dst)
      }
      return [Tensor(floats: out, dims: x.dims)]
    case "Dropout":
      let mask = Tensor(dataType: .bool, dims: x.dims, storage: .integers(Array(repeating: 1, count: x.elementCount)))
      return [x, mask]
    case "LRN":
      guard let size = try node.int("size") else { throw GraphError.node(node, "LRN needs 'size'") }
      let (n, c) = (x.dims[0], x.dims[1])
      let (alpha, beta, bias) = (try node.float("alpha", default: 0.0001), try node.float("beta", default: 0.75), try node.float("bias", default: 1))
      let out = run(count: x.elementCount, x) { src, dst in
        Reference.lrn(src, batch: n, channels: c, spatial: x.dims.dropFirst(2).reduce(1, *),
                      size: size, alpha: alpha, beta: beta, bias: bias, output: dst)
      }
      return [Tensor(floats: out, dims: x.dims)]
    case "Softmax":
      let rank = x.dims.count
      var axis = try node.int("axis", default: opset >= 13 ? -1 : 1)
      if axis < 0 { axis += rank }
      guard axis >= 0, axis < rank else { throw GraphError.node(node, "softmax axis out of range for rank \(rank)") }
      // Opset 13 normalizes along one axis; before, over all axes from `axis` on, flattened.
      let shape = opset >= 13 ? x.dims : [x.dims[..<axis].reduce(1, *), x.dims[axis...].reduce(1, *)]
      let a = opset >= 13 ? axis : 1
      let out = run(count: x.elementCount, x) { src, dst in try! Reference.softmax(src, shape: shape, axis: a, output: dst) }
      return [Tensor(floats: out, dims: x.dims)]
    case "Transpose":
      guard x.dataType == .float else { break }
      let perm = try node.ints("perm") ?? Array((0..<x.dims.count).reversed())
      let out = run(count: x.elementCount, x) { src, dst in _ = try? Reference.transpose(src, shape: x.dims, perm: perm, output: dst) }
      return [Tensor(floats: out, dims: perm.map { x.dims[$0] })]
    case "Concat":
      guard inputs.allSatisfy({ $0?.dataType == .float }) else { break }
      return [try concat(try (0..<inputs.count).map(input), axis: try node.int("axis", default: 1), node)]
    case "ReduceMean":
      var axes = try node.ints("axes") ?? optional(1)?.int64s.map(Int.init) ?? Array(0..<x.dims.count)
      axes = axes.map { $0 < 0 ? $0 + x.dims.count : $0 }
      return [reduceMean(x, axes: Set(axes), keepDims: try node.int("keepdims", default: 1) == 1)]
    case "Shape":
      let rank = x.dims.count
      func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
      let start = clamp(try node.int("start", default: 0)), end = clamp(try node.int("end", default: rank))
      let dims = start < end ? Array(x.dims[start..<end]) : []
      return [Tensor(int64s: dims.map(Int64.init), dims: [dims.count])]
    default:
      break
    }
    // Shape ops and arithmetic on integers: the constant evaluator works on any concrete tensor.
    guard let results = try ConstantEvaluator.evaluate(node, inputs, opset: opset) else {
      throw GraphError.node(node, "not supported by the reference interpreter")
    }
    return results
  }

  // MARK: - Kernels over tensors

  /// Runs `body` on `x`'s floats and a fresh output of `count` floats.
  static func run(count: Int, _ x: Tensor, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    let src = x.floats
    var out = [Float](repeating: 0, count: count)
    src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { d in body(s.baseAddress!, d.baseAddress!) } }
    return out
  }

  static func run(
    count: Int, _ a: Tensor, _ b: Tensor, _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) -> [Float] {
    let (sa, sb) = (a.floats, b.floats)
    var out = [Float](repeating: 0, count: count)
    sa.withUnsafeBufferPointer { pa in
      sb.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { d in body(pa.baseAddress!, pb.baseAddress!, d.baseAddress!) } }
    }
    return out
  }

  static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let shape = try Reference.broadcastShape(a.dims, b.dims)
    let out = run(count: shape.reduce(1, *), a, b) { pa, pb, d in
      _ = try? Reference.binary(op, a: pa, aShape: a.dims, b: pb, bShape: b.dims, output: d)
    }
    return Tensor(floats: out, dims: shape)
  }

  /// Begin and end pads for one spatial axis, `auto_pad` resolved.
  static func pads(
    _ node: Node, axis: Int, input: Int, kernel: Int, stride: Int, dilation: Int
  ) throws -> (Int, Int) {
    let autoPad = try node.string("auto_pad", default: "NOTSET")
    switch autoPad {
    case "VALID": return (0, 0)
    case "SAME_UPPER", "SAME_LOWER":
      let out = (input + stride - 1) / stride
      let total = max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - input)
      return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
    default:
      let p = try node.ints("pads") ?? [0, 0, 0, 0]
      return (p[axis], p[axis + 2])
    }
  }

  static func conv(_ node: Node, _ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> Tensor {
    guard x.dims.count == 4, w.dims.count == 4 else { throw GraphError.node(node, "reference Conv is 2-D only") }
    let strides = try node.ints("strides") ?? [1, 1], dilations = try node.ints("dilations") ?? [1, 1]
    let (pt, pb) = try pads(node, axis: 0, input: x.dims[2], kernel: w.dims[2], stride: strides[0], dilation: dilations[0])
    let (pl, pr) = try pads(node, axis: 1, input: x.dims[3], kernel: w.dims[3], stride: strides[1], dilation: dilations[1])
    let p = Conv2DParameters(
      batch: x.dims[0], inChannels: x.dims[1], inHeight: x.dims[2], inWidth: x.dims[3], outChannels: w.dims[0],
      kernelHeight: w.dims[2], kernelWidth: w.dims[3], strideHeight: strides[0], strideWidth: strides[1],
      padTop: pt, padLeft: pl, padBottom: pb, padRight: pr, dilationHeight: dilations[0], dilationWidth: dilations[1],
      groups: try node.int("group", default: 1))
    try p.validate()
    guard w.dims[1] == p.geometry.inChannelsPerGroup else { throw GraphError.node(node, "weights \(w.dims) do not fit input \(x.dims)") }
    let bias = b?.floats ?? [Float](repeating: 0, count: p.geometry.outChannels)
    let out = run(count: p.outputTensorCount, x, w) { src, weights, dst in
      bias.withUnsafeBufferPointer { bp in
        Reference.conv2d(p, input: src, weights: weights, epilogue: Epilogue(bias: bp.baseAddress), output: dst)
      }
    }
    return Tensor(floats: out, dims: [p.batch, p.geometry.outChannels, p.geometry.outHeight, p.geometry.outWidth])
  }

  static func pool(_ node: Node, _ x: Tensor, kind: PoolKind) throws -> Tensor {
    guard x.dims.count == 4, let k = try node.ints("kernel_shape"), k.count == 2 else {
      throw GraphError.node(node, "reference pooling is 2-D only")
    }
    if node.outputs.count > 1, !node.outputs[1].isEmpty { throw GraphError.node(node, "MaxPool indices are not evaluated") }
    let strides = try node.ints("strides") ?? [1, 1], dilations = try node.ints("dilations") ?? [1, 1]
    let ceil = try node.int("ceil_mode", default: 0) == 1
    var pads: [(Int, Int)] = []
    var extents: [Int] = []
    for a in 0..<2 {
      let (begin, end) = try Self.pads(node, axis: a, input: x.dims[2 + a], kernel: k[a], stride: strides[a], dilation: dilations[a])
      pads.append((begin, end))
      if try node.string("auto_pad", default: "NOTSET").hasPrefix("SAME") {
        extents.append((x.dims[2 + a] + strides[a] - 1) / strides[a])
        continue
      }
      // ONNX / PyTorch: floor or ceil, but a ceil-mode window must start inside the input or its begin padding.
      let span = x.dims[2 + a] + begin + end - (k[a] - 1) * dilations[a] - 1
      var out = (ceil ? (span + strides[a] - 1) / strides[a] : span / strides[a]) + 1
      if ceil && (out - 1) * strides[a] >= x.dims[2 + a] + begin { out -= 1 }
      extents.append(out)
    }
    let p = Pool2DParameters(
      kind: kind, batch: x.dims[0], channels: x.dims[1], inHeight: x.dims[2], inWidth: x.dims[3],
      kernelHeight: k[0], kernelWidth: k[1], strideHeight: strides[0], strideWidth: strides[1],
      padTop: pads[0].0, padLeft: pads[1].0, padBottom: pads[0].1, padRight: pads[1].1,
      dilationHeight: dilations[0], dilationWidth: dilations[1], outHeight: extents[0], outWidth: extents[1],
      countIncludePad: try node.int("count_include_pad", default: 0) == 1)
    try p.validate()
    let out = run(count: p.outputTensorCount, x) { Reference.pool2d(p, input: $0, output: $1) }
    return Tensor(floats: out, dims: [p.batch, p.geometry.channels, p.geometry.outHeight, p.geometry.outWidth])
  }

  static func gemm(_ node: Node, _ a: Tensor, _ b: Tensor, _ c: Tensor?) throws -> Tensor {
    let transA = try node.int("transA", default: 0) == 1, transB = try node.int("transB", default: 0) == 1
    guard a.dims.count == 2, b.dims.count == 2 else { throw GraphError.node(node, "Gemm operands must be 2-D") }
    let (m, k) = transA ? (a.dims[1], a.dims[0]) : (a.dims[0], a.dims[1])
    let n = transB ? b.dims[0] : b.dims[1]
    guard (transB ? b.dims[1] : b.dims[0]) == k else { throw GraphError.node(node, "Gemm shapes \(a.dims) x \(b.dims)") }
    let p = GemmParameters(m: m, n: n, k: k, alpha: try node.float("alpha", default: 1), beta: try node.float("beta", default: 1),
                           transA: transA, transB: transB)
    let cValues = c?.floats ?? []
    let cDims = c.map { Array(repeating: 1, count: max(0, 2 - $0.dims.count)) + $0.dims } ?? []
    if let c, !([[], [1, 1], [1, n], [m, 1], [m, n]] as [[Int]]).contains(cDims) {
      throw GraphError.node(node, "C of shape \(c.dims) does not broadcast to [\(m), \(n)]")
    }
    let out = run(count: m * n, a, b) { pa, pb, dst in
      cValues.withUnsafeBufferPointer { cp in
        let addend: GemmAddend
        switch cDims {
        case []: addend = .none
        case [1, 1]: addend = .scalar(cp.baseAddress!)
        case [1, n]: addend = .row(cp.baseAddress!)
        case [m, 1]: addend = .column(cp.baseAddress!)
        default: addend = .full(cp.baseAddress!)
        }
        Reference.gemm(p, a: pa, b: pb, c: addend, output: dst)
      }
    }
    return Tensor(floats: out, dims: [m, n])
  }

  static func concat(_ parts: [Tensor], axis rawAxis: Int, _ node: Node) throws -> Tensor {
    let first = parts[0]
    let rank = first.dims.count
    let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
    for p in parts where p.dims.count != rank || (0..<rank).contains(where: { $0 != axis && p.dims[$0] != first.dims[$0] }) {
      throw GraphError.node(node, "cannot concatenate \(first.dims) and \(p.dims) on axis \(axis)")
    }
    let outer = first.dims[..<axis].reduce(1, *)
    var dims = first.dims
    dims[axis] = parts.map { $0.dims[axis] }.reduce(0, +)
    let floats = parts.map(\.floats)
    var out: [Float] = []
    out.reserveCapacity(dims.reduce(1, *))
    for o in 0..<outer {
      for (p, values) in zip(parts, floats) {
        let chunk = p.dims[axis...].reduce(1, *)
        out += values[(o * chunk)..<((o + 1) * chunk)]
      }
    }
    return Tensor(floats: out, dims: dims)
  }

  static func reduceMean(_ x: Tensor, axes: Set<Int>, keepDims: Bool) -> Tensor {
    let dims = x.dims
    let outDimsKept = dims.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    var sums = [Double](repeating: 0, count: outDimsKept.reduce(1, *))
    let values = x.floats
    var strides = [Int](repeating: 1, count: dims.count)
    for d in stride(from: dims.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * outDimsKept[d + 1] }
    for flat in 0..<values.count {
      var rest = flat, target = 0
      for d in stride(from: dims.count - 1, through: 0, by: -1) {
        let coord = rest % dims[d]
        rest /= dims[d]
        if !axes.contains(d) { target += coord * strides[d] }
      }
      sums[target] += Double(values[flat])
    }
    let count = Double(dims.enumerated().filter { axes.contains($0.offset) }.map(\.element).reduce(1, *))
    let outDims = keepDims ? outDimsKept : dims.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    return Tensor(floats: sums.map { Float($0 / count) }, dims: outDims)
  }
}
