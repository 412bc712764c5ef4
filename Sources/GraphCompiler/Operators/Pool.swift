import GraphIR
import GraphPlan
import GraphReference

/// MaxPool and AveragePool: `[N, C, d1..dk]` to `[N, C, o1..ok]` under the window attributes.
protocol PoolOperator: OperatorDefinition {
  static var kind: PoolKind { get }
}

enum MaxPoolOp: PoolOperator {
  static let opTypes = ["MaxPool"]
  static let attributes: Set<String> = ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]
  static let kind = PoolKind.max
  static let uncomputedOutputs = [1: "Indices"]
  static let notes: String? = "1 to 8 spatial axes; the optional Indices output is not supported."
}

enum AveragePoolOp: PoolOperator {
  static let opTypes = ["AveragePool"]
  static let attributes: Set<String> = ["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"]
  static let kind = PoolKind.average
  static let notes: String? = "1 to 8 spatial axes."
}

extension PoolOperator {
  /// The window with `ceil_mode`, and whether an average counts the padding.
  static func window(_ n: some NodeOperands, spatialRank: Int, inputShape: Shape) throws -> (SlidingWindow, countIncludePad: Bool) {
    guard let kernel = try n.node.ints("kernel_shape") else { throw n.error("attribute kernel_shape is required") }
    guard kernel.count == spatialRank else {
      throw n.error("kernel_shape \(kernel) has \(kernel.count) values, input \(inputShape) has \(spatialRank) spatial axes")
    }
    let ceil = try n.flag("ceil_mode")
    var includePad = false
    if kind == .average { includePad = try n.flag("count_include_pad") } else { _ = try n.flag("storage_order") }
    return (try SlidingWindow(n, kernel: kernel, ceilMode: ceil), includePad)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let y = try pooled(n)
    // MaxPool's optional second output holds int64 indices of the same shape.
    return kind == .max ? [y, ValueState(.int64, y.shape)] : [y]
  }

  /// The pooled value: `[N, C]` and the window's output size along each spatial axis.
  static func pooled(_ n: NodeContext) throws -> ValueState {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 3 else {
      throw n.error("input must have rank 3 or more (batch, channels, spatial), has shape \(x.shape)")
    }
    let (window, _) = try window(n, spatialRank: x.shape.rank - 2, inputShape: x.shape)
    let out = try window.outputDims(Array(x.shape.dims[2...]), n, inputShape: x.shape)
    return ValueState(x.elementType, Shape(Array(x.shape.dims[0..<2]) + out))
  }

  /// The per-item geometry of pooling over `input` [C, d1..dk] over any number of spatial axes:
  /// what evaluation computes with, and what 3-D and wider pools run as.
  static func geometryND(_ n: some NodeOperands, input: [Int]) throws -> (PoolNDGeometry, countIncludePad: Bool) {
    let shape = Shape(fixed: input), spatial = Array(input.dropFirst())
    let (window, includePad) = try window(n, spatialRank: spatial.count, inputShape: shape)
    let (out, pads) = try window.resolve(spatial, n, inputShape: shape)
    return (PoolNDGeometry(channels: input[0], inSizes: spatial, outSizes: out, window: window.windowND(pads: pads)), includePad)
  }

  /// The per-item geometry of pooling over `input` [C, H, W], or over [C, L] as a 2-D pool of height 1.
  static func geometry(_ n: some NodeOperands, input: [Int]) throws -> (Pool2DGeometry, countIncludePad: Bool)? {
    guard input.count == 2 || input.count == 3 else { return nil }
    let shape = Shape(fixed: input)
    let (native, includePad) = try window(n, spatialRank: input.count - 1, inputShape: shape)
    let window = native.planar, spatial = SlidingWindow.planar(Array(input.dropFirst()))
    let (out, pads) = try window.resolve(spatial, n, inputShape: shape)
    let geometry = Pool2DGeometry(
      channels: input[0], inHeight: spatial[0], inWidth: spatial[1], outHeight: out[0], outWidth: out[1],
      kernelHeight: window.kernel[0], kernelWidth: window.kernel[1],
      strideHeight: window.strides[0], strideWidth: window.strides[1],
      padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
      dilationHeight: window.dilations[0], dilationWidth: window.dilations[1])
    return (geometry, includePad)
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count >= 3 else { throw n.error("input must have rank 3 or more (batch, channels, spatial), has \(x.dims)") }
    if n.node.outputs.count > 1, !n.node.outputs[1].isEmpty { throw n.error("the Indices output is not computed") }
    let (g, includePad) = try geometryND(n, input: Array(x.dims.dropFirst()))
    let p = PoolNDParameters(kind: kind, geometry: g, countIncludePad: includePad, batch: x.dims[0])
    try p.validate()
    let out = Evaluate.floats(count: p.outputTensorCount, x) { Reference.poolND(p, input: $0, output: $1) }
    return [Tensor(floats: out, dims: [p.batch, g.channels] + g.outSizes)]
  }

  static func lower(_ n: LoweringContext) throws {
    try emitPool(n, kind: kind, input: n.x)
  }

  /// Emits the pool of `input` (the node's input, or a value of its dims) under the node's window:
  /// 1-D and 2-D pools as the 2-D step (the classic networks' tuned kernels), wider ones as the
  /// N-D step. It writes the node's output, or `output`: a new value of the output's dims (a 1-D
  /// pool's `[C, L]` lifted to `[C, 1, L]`), whose name it returns.
  @discardableResult
  static func emitPool(
    _ n: LoweringContext, kind: PoolKind, countIncludePad: Bool? = nil, input: String, output: String? = nil
  ) throws -> String {
    let inDims = n.dims(input), outDims = n.dims(n.output)
    let mismatch = LoweringContext.Unsupported(reason: "output \(outDims) does not match the pool's window arithmetic")
    if inDims.count > 3 {
      let (geometry, includePad) = try geometryND(n, input: inDims)
      guard [geometry.channels] + geometry.outSizes == outDims else { throw mismatch }
      do { try geometry.validate() } catch { throw LoweringContext.Unsupported(reason: "\(error)") }
      if let output { n.newValue(output, dims: outDims) }
      n.emit(.poolND(PoolingND(kind: kind, geometry: geometry, countIncludePad: countIncludePad ?? includePad)), inputs: [input],
             output: output)
      return output ?? n.output
    }
    guard let (geometry, includePad) = try geometry(n, input: inDims),
      outDims == [geometry.channels] + (inDims.count == 2 ? [] : [geometry.outHeight]) + [geometry.outWidth]
    else { throw mismatch }
    let target: String
    if let output {
      n.newValue(output, dims: [geometry.channels, geometry.outHeight, geometry.outWidth])
      target = output
    } else {
      target = n.planarOutput()
    }
    n.emit(.pool(Pooling(kind: kind, geometry: geometry, countIncludePad: countIncludePad ?? includePad)),
           inputs: [n.planarView(of: input)], output: target)
    return target
  }
}

/// GlobalAveragePool and GlobalMaxPool: `[N, C, d1..dk]` to `[N, C, 1..1]`.
enum GlobalPoolOp: OperatorDefinition {
  static let opTypes = ["GlobalAveragePool", "GlobalMaxPool"]
  static let attributes: Set<String> = []

  static func kind(_ n: some NodeOperands) -> PoolKind { n.node.opType == "GlobalMaxPool" ? .max : .average }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 3 else {
      throw n.error("input must have rank 3 or more (batch, channels, spatial), has shape \(x.shape)")
    }
    let ones = [Dim](repeating: .fixed(1), count: x.shape.rank - 2)
    return [ValueState(x.elementType, Shape(Array(x.shape.dims[0..<2]) + ones))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count >= 3 else { throw n.error("input must have rank 3 or more") }
    let (batch, channels) = (x.dims[0], x.dims[1])
    let spatial = x.dims.dropFirst(2).reduce(1, *)
    let out = Evaluate.floats(count: batch * channels, x) { src, dst in
      Reference.globalPool(kind(n), batch: batch, channels: channels, spatial: spatial, input: src, output: dst)
    }
    return [Tensor(floats: out, dims: [batch, channels] + Array(repeating: 1, count: x.dims.count - 2))]
  }

  static func lower(_ n: LoweringContext) throws {
    n.emit(.globalPool(kind(n)), inputs: [n.x])
  }
}
