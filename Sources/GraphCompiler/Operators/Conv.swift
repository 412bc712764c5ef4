import GraphIR
import GraphPlan
import GraphReference

/// Conv: `X [N, C, d1..dk]`, `W [M, C/group, k1..kk]`, optional `B [M]` give `[N, M, o1..ok]`.
/// Also lowers `graphc.FusedConv`, a Conv with a residual input 3 and a fused activation.
enum ConvOp: OperatorDefinition {
  static let opTypes = ["Conv"]
  static let attributes: Set<String> = ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"]
  static let notes: String? = "1 to 8 spatial axes: 1-D and 2-D on the 2-D kernels (direct depthwise, im2col GEMM, Winograd), 3 to 8 as an im2col GEMM (conv-nd)."

  static func group(_ n: some NodeOperands) throws -> Int {
    let group = try n.node.int("group", default: 1)
    guard group >= 1 else { throw n.error("group \(group) must be positive") }
    return group
  }

  /// The input (batch, channels, spatial axes) and weight (of the input's rank) of a Conv or ConvTranspose.
  static func operands(_ n: NodeContext) throws -> (x: ValueState, w: ValueState) {
    let x = try n.input(0, "input")
    let w = try n.input(1, "weight")
    guard x.shape.rank >= 3 else {
      throw n.error("input must have rank 3 or more (batch, channels, spatial), has shape \(x.shape)")
    }
    guard w.shape.rank == x.shape.rank else {
      throw n.error("weight \(w.shape) must have the input's rank \(x.shape.rank) (input \(x.shape))")
    }
    return (x, w)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let (x, w) = try operands(n)
    let group = try group(n)

    // Weight dims are constants in practice; a symbolic weight dim cannot be checked.
    let wShape = w.shape
    if case .fixed(let perGroup) = wShape[1], case .fixed(let channels) = x.shape[1] {
      let (expected, overflow) = perGroup.multipliedReportingOverflow(by: group)
      guard !overflow, expected == channels else {
        let groups = group == 1 ? "" : " (\(perGroup) per group x \(group) groups)"
        throw n.error("weight expects \(overflow ? perGroup : expected) input channels\(groups) (weight \(wShape)), input has \(channels) (\(x.shape))")
      }
    }
    if case .fixed(let m) = wShape[0], m % group != 0 {
      throw n.error("weight has \(m) output channels (weight \(wShape)), not divisible by group \(group)")
    }
    if let b = n.optionalInput(2) {
      guard b.shape.rank == 1, n.unify(b.shape[0], wShape[0]) != nil else {
        throw n.error("bias shape \(b.shape) must be [\(wShape[0])], one value per output channel (weight \(wShape))")
      }
    }

    let spatial = x.shape.rank - 2
    guard let kernelFromWeight = Shape(Array(wShape.dims[2...])).fixedDims else {
      throw n.error("weight spatial dims must be known, weight is \(wShape)")
    }
    if let attr = try n.node.ints("kernel_shape"), attr != kernelFromWeight {
      throw n.error("kernel_shape \(attr) does not match the weight's spatial dims \(kernelFromWeight) (weight \(wShape))")
    }
    guard kernelFromWeight.count == spatial else { throw n.error("weight rank does not match input rank") }
    let window = try SlidingWindow(n, kernel: kernelFromWeight)
    let out = try window.outputDims(Array(x.shape.dims[2...]), n, inputShape: x.shape)
    return [ValueState(x.elementType, Shape([x.shape[0], wShape[0]] + out))]
  }

  /// The per-item geometry of a convolution of `input` [C, H, W] by weights `w`, or of [C, L]
  /// as a 2-D convolution of height 1 (the weights' layout is the same either way).
  static func geometry(_ n: some NodeOperands, input: [Int], weights w: Tensor) throws -> Conv2DGeometry? {
    guard input.count == 2 || input.count == 3, w.dims.count == input.count + 1 else { return nil }
    let window = try SlidingWindow(n, kernel: Array(w.dims[2...])).planar
    let spatial = SlidingWindow.planar(Array(input.dropFirst()))
    let (_, pads) = try window.resolve(spatial, n, inputShape: Shape(fixed: input))
    return Conv2DGeometry(
      inChannels: input[0], inHeight: spatial[0], inWidth: spatial[1], outChannels: w.dims[0],
      kernelHeight: window.kernel[0], kernelWidth: window.kernel[1],
      strideHeight: window.strides[0], strideWidth: window.strides[1],
      padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
      dilationHeight: window.dilations[0], dilationWidth: window.dilations[1],
      groups: try group(n))
  }

  /// The per-item geometry of a convolution of `input` [C, d1..dk] by weights `w` over any
  /// number of spatial axes: what evaluation computes with, and what 3-D and wider convolutions run as.
  static func geometryND(_ n: some NodeOperands, input: [Int], weights w: Tensor) throws -> ConvNDGeometry {
    let window = try SlidingWindow(n, kernel: Array(w.dims[2...]))
    let spatial = Array(input.dropFirst())
    let (_, pads) = try window.resolve(spatial, n, inputShape: Shape(fixed: input))
    return ConvNDGeometry(
      inChannels: input[0], inSizes: spatial, outChannels: w.dims[0], window: window.windowND(pads: pads), groups: try group(n))
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0), w = try n.input(1)
    guard x.dims.count >= 3, w.dims.count == x.dims.count else { throw n.error("weights \(w.dims) do not fit input \(x.dims)") }
    let g = try geometryND(n, input: Array(x.dims.dropFirst()), weights: w)
    let p = ConvNDParameters(geometry: g, batch: x.dims[0])
    try p.validate()
    guard w.dims[1] == g.inChannelsPerGroup else { throw n.error("weights \(w.dims) do not fit input \(x.dims)") }
    let bias = n.hasInput(2) ? try n.input(2).floats : [Float](repeating: 0, count: g.outChannels)
    let out = Evaluate.floats(count: p.outputTensorCount, x, w) { src, weights, dst in
      bias.withUnsafeBufferPointer { bp in
        Reference.convND(p, input: src, weights: weights, epilogue: Epilogue(bias: bp.baseAddress), output: dst)
      }
    }
    return [Tensor(floats: out, dims: [p.batch, g.outChannels] + g.outSizes)]
  }

  /// 1-D and 2-D convolutions lower to the 2-D step (the classic networks' tuned kernels),
  /// wider ones to the N-D step.
  static func lower(_ n: LoweringContext) throws {
    let w = try n.constant(1)
    let inDims = n.dims(n.x), outDims = n.dims(n.output)
    guard inDims.count >= 2, w.dims.count == inDims.count + 1 else {
      throw LoweringContext.Unsupported(reason: "weights \(w.dims) do not fit the per-item input \(inDims)")
    }
    let bias = n.hasInput(2) ? n.addWeights(try n.constant(2).floats) : nil
    let residual = n.node.input(3)
    if inDims.count > 3 {
      let geometry = try geometryND(n, input: inDims, weights: w)
      guard [geometry.outChannels] + geometry.outSizes == outDims else {
        throw LoweringContext.Unsupported(reason: "output \(outDims) does not match the convolution's window arithmetic")
      }
      do { try geometry.validate() } catch { throw LoweringContext.Unsupported(reason: "\(error)") }
      let conv = ConvolutionND(
        geometry: geometry, weights: n.addWeights(w.floats), bias: bias, residual: residual != nil, activation: n.activation)
      n.emit(.convND(conv), inputs: [n.x] + (residual.map { [$0] } ?? []))
      return
    }
    guard let geometry = try geometry(n, input: inDims, weights: w),
      [geometry.outChannels] + (inDims.count == 2 ? [] : [geometry.outHeight]) + [geometry.outWidth] == outDims
    else {
      throw LoweringContext.Unsupported(reason: "output \(outDims) does not match the convolution's window arithmetic")
    }
    let conv = Convolution(
      geometry: geometry, weights: n.addWeights(w.floats), bias: bias, residual: residual != nil, activation: n.activation)
    n.emit(.conv(conv), inputs: [n.planarView(of: n.x)] + (residual.map { [n.planarView(of: $0)] } ?? []), output: n.planarOutput())
  }
}
