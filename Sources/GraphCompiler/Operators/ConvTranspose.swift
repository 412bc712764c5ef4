import GraphIR
import GraphPlan
import GraphReference

/// ConvTranspose: `X [N, C, d1..dk]`, `W [C, M/group, k1..kk]`, optional `B [M]` give
/// `[N, M, o1..ok]`, each input value scattering `value * W` into the output window its
/// position reaches (the gradient of Conv; decoders' upsampling).
enum ConvTransposeOp: OperatorDefinition {
  static let opTypes = ["ConvTranspose"]
  static let attributes: Set<String> = [
    "auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides",
  ]
  static let notes: String? =
    "1 to 8 spatial axes, weights and bias constants; a GEMM making each input position's columns, then col2im. "
    + "With output_shape, pads are ignored and derived as onnxruntime does (the odd one first unless SAME_UPPER); "
    + "auto_pad SAME gives in*stride as the spec says (onnxruntime gives less when kernel < stride). BatchNorm folds and Relu and the like fuse into it."

  /// The window attributes, resolved per spatial axis into output sizes and begin pads.
  struct Window {
    var window: SlidingWindow
    var outputPadding: [Int]
    /// The output's spatial sizes when the model sets them (`output_shape`), else nil.
    var outputShape: [Int]?

    init(_ n: some NodeOperands, kernel: [Int]) throws {
      window = try SlidingWindow(n, kernel: kernel)
      let rank = kernel.count
      outputPadding = try n.node.ints("output_padding") ?? Array(repeating: 0, count: rank)
      guard outputPadding.count == rank, outputPadding.allSatisfy({ $0 >= 0 && $0 <= SlidingWindow.maxAttribute }) else {
        throw n.error("output_padding \(outputPadding) must be \(rank) values between 0 and \(SlidingWindow.maxAttribute)")
      }
      if var shape = try n.node.ints("output_shape") {
        // Some exporters wrote the batch and channels too; ONNX says the spatial sizes only.
        if shape.count == rank + 2 { shape = Array(shape.dropFirst(2)) }
        guard shape.count == rank, shape.allSatisfy({ $0 >= 1 && $0 <= SlidingWindow.maxAttribute }) else {
          throw n.error("output_shape \(shape) must be \(rank) positive sizes (one per spatial axis)")
        }
        outputShape = shape
      }
    }

    /// What the window spans along axis `a` before any padding: `(in - 1) * stride + output_padding + (k - 1) * dilation + 1`.
    func fullSize(_ size: Int, axis a: Int) -> Int {
      ConvTransposeGeometry.outputSize(
        input: size, kernel: window.kernel[a], stride: window.strides[a], dilation: window.dilations[a], padBegin: 0, padEnd: 0,
        outputPadding: outputPadding[a])
    }

    /// The output size and begin pad along axis `a` for `size` input positions.
    func resolve(_ size: Int, axis a: Int, _ n: some NodeOperands, inputShape: Shape) throws -> (output: Int, padBegin: Int) {
      let full = fullSize(size, axis: a), rank = window.kernel.count
      let upper = window.autoPad == "SAME_UPPER"
      let (output, padBegin): (Int, Int)
      if let outputShape {
        // Pads for a given output_shape as onnxruntime derives them (the spec's text has the halves the
        // other way round, its reference ignores them for NOTSET): the odd one at the beginning unless
        // SAME_UPPER; a larger output than the window spans pads nothing and leaves the end at the bias.
        let total = max(0, full - outputShape[a])
        (output, padBegin) = (outputShape[a], upper ? total / 2 : total - total / 2)
      } else if window.autoPad.hasPrefix("SAME") {
        // SAME: the output is `in * stride`; the odd pad goes at the end for SAME_UPPER.
        let total = full - size * window.strides[a]
        let half = total >= 0 ? total / 2 : -((-total + 1) / 2)  // rounded down, as the spec's reference does
        (output, padBegin) = (size * window.strides[a], upper ? half : total - half)
      } else if window.autoPad == "VALID" {
        (output, padBegin) = (full, 0)
      } else {
        (output, padBegin) = (full - window.pads[a] - window.pads[a + rank], window.pads[a])
      }
      guard output >= 1 else {
        throw n.error("pads \(window.pads) leave no output along spatial axis \(a + 2) of input \(inputShape) (the window spans \(full))")
      }
      return (output, padBegin)
    }

    /// The output size over a symbolic input size `H`: `H*2+1`, `(H-1)*2+4`...
    func symbolicOutput(_ dim: Dim, axis a: Int) -> Dim {
      if let outputShape { return .fixed(outputShape[a]) }
      let h = DimProduct.isAtomic(dim.description) ? dim.description : "(\(dim.description))"
      let stride = window.strides[a]
      if window.autoPad.hasPrefix("SAME") { return stride == 1 ? dim : .symbol("\(h)*\(stride)") }
      // full - pads = stride * H + shift
      let pads = window.autoPad == "VALID" ? 0 : window.pads[a] + window.pads[a + window.kernel.count]
      let shift = fullSize(1, axis: a) - stride - pads
      let scaled = stride == 1 ? h : "\(h)*\(stride)"
      return shift == 0 && stride == 1 ? dim : .symbol(shift == 0 ? scaled : shift > 0 ? "\(scaled)+\(shift)" : "\(scaled)\(shift)")
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let (x, w) = try ConvOp.operands(n)
    let group = try ConvOp.group(n)
    guard let wDims = w.shape.fixedDims else { throw n.error("weight dims must be known, weight is \(w.shape)") }
    if case .fixed(let channels) = x.shape[1] {
      guard wDims[0] == channels else {
        throw n.error("weight \(w.shape) is [input channels, output channels / group, kernel...]: its \(wDims[0]) input channels do not match the input's \(channels) (\(x.shape))")
      }
    }
    guard wDims[0] % group == 0 else {
      throw n.error("weight has \(wDims[0]) input channels (weight \(w.shape)), not divisible by group \(group)")
    }
    let (outChannels, overflow) = wDims[1].multipliedReportingOverflow(by: group)
    guard !overflow, outChannels <= SlidingWindow.maxAttribute else { throw n.error("group \(group) x \(wDims[1]) output channels is too many") }
    if let b = n.optionalInput(2) {
      guard b.shape.rank == 1, n.unify(b.shape[0], .fixed(outChannels)) != nil else {
        throw n.error("bias shape \(b.shape) must be [\(outChannels)], one value per output channel (weight \(w.shape), group \(group))")
      }
    }
    let kernel = Array(wDims[2...])
    if let attr = try n.node.ints("kernel_shape"), attr != kernel {
      throw n.error("kernel_shape \(attr) does not match the weight's spatial dims \(kernel) (weight \(w.shape))")
    }
    let window = try Window(n, kernel: kernel)
    let out = try x.shape.dims[2...].enumerated().map { a, dim -> Dim in
      guard case .fixed(let size) = dim else { return window.symbolicOutput(dim, axis: a) }
      return .fixed(try window.resolve(size, axis: a, n, inputShape: x.shape).output)
    }
    return [ValueState(x.elementType, Shape([x.shape[0], .fixed(outChannels)] + out))]
  }

  /// The per-item geometry for `input` `[C, d1..dk]` and weights of dims `weights`.
  static func geometry(_ n: some NodeOperands, input: [Int], weights: [Int]) throws -> ConvTransposeGeometry {
    guard input.count >= 2, weights.count == input.count + 1, weights[0] == input[0] else {
      throw n.error("weights \(weights) do not fit the per-item input \(input)")
    }
    let group = try ConvOp.group(n)
    let kernel = Array(weights[2...]), spatial = Array(input.dropFirst())
    let window = try Window(n, kernel: kernel)
    let resolved = try spatial.indices.map { try window.resolve(spatial[$0], axis: $0, n, inputShape: Shape(fixed: input)) }
    let g = ConvTransposeGeometry(
      inChannels: input[0], inSizes: spatial, outChannels: weights[1] * group, outSizes: resolved.map(\.output), kernel: kernel,
      strides: window.window.strides, dilations: window.window.dilations, padsBegin: resolved.map(\.padBegin), groups: group)
    do { try g.validate() } catch { throw n.error("\(error)") }
    return g
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0), w = try n.input(1)
    guard x.dims.count >= 3 else { throw n.error("input \(x.dims) must have rank 3 or more") }
    let g = try geometry(n, input: Array(x.dims.dropFirst()), weights: w.dims)
    let bias = n.hasInput(2) ? try n.input(2).floats : nil
    let batch = x.dims[0]
    let out = Evaluate.floats(count: batch * g.outputCountPerItem, x, w) { src, weights, dst in
      if let bias {
        bias.withUnsafeBufferPointer { Reference.convTranspose(g, batch: batch, input: src, weights: weights, bias: $0.baseAddress, output: dst) }
      } else {
        Reference.convTranspose(g, batch: batch, input: src, weights: weights, output: dst)
      }
    }
    return [Tensor(floats: out, dims: [batch, g.outChannels] + g.outSizes)]
  }

  static func lower(_ n: LoweringContext) throws {
    // The GEMM packs the weights at compile time: weights computed at run time have no kernel.
    for (i, role) in [(1, "weights"), (2, "bias")] where n.hasInput(i) && n.knownValue(i) == nil {
      throw LoweringContext.Unsupported(
        reason: "its \(role) (input \(i), '\(n.node.inputs[i])') must be a constant known at compile time, not a value computed at run time")
    }
    let w = try n.constant(1)
    let inDims = n.dims(n.x), outDims = n.dims(n.output)
    let geometry: ConvTransposeGeometry
    do { geometry = try self.geometry(n, input: inDims, weights: w.dims) } catch let e as GraphError {
      throw LoweringContext.Unsupported(reason: e.message)
    }
    guard [geometry.outChannels] + geometry.outSizes == outDims else {
      throw LoweringContext.Unsupported(reason: "output \(outDims) does not match the transposed convolution's window arithmetic")
    }
    let bias = n.hasInput(2) ? n.addWeights(try n.constant(2).floats) : nil
    let conv = ConvolutionTranspose(geometry: geometry, weights: n.addWeights(w.floats), bias: bias, activation: n.activation)
    n.emit(.convTranspose(conv), inputs: [n.x])
  }
}
