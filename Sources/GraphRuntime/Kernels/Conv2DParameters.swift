/// What a 2-D convolution computes for one batch item: channels, spatial sizes, window,
/// strides, pads, dilations and groups. The plan's ``Convolution`` and the kernels'
/// ``Conv2DParameters`` both hold one.
///
/// Input `[inChannels, inHeight, inWidth]`, output `[outChannels, outHeight, outWidth]`
/// (NCHW without N); weights `[outChannels, inChannels / groups, kernelHeight, kernelWidth]`,
/// as ONNX gives them. All sizes are in elements.
public struct Conv2DGeometry: Sendable, Equatable {
  /// Input channels (C).
  public var inChannels: Int
  /// Input rows.
  public var inHeight: Int
  /// Input columns.
  public var inWidth: Int
  /// Output channels (M).
  public var outChannels: Int
  /// Kernel window rows.
  public var kernelHeight: Int
  /// Kernel window columns.
  public var kernelWidth: Int
  /// Vertical step between windows.
  public var strideHeight: Int
  /// Horizontal step between windows.
  public var strideWidth: Int
  /// Zero rows added above the input.
  public var padTop: Int
  /// Zero columns added left of the input.
  public var padLeft: Int
  /// Zero rows added below the input.
  public var padBottom: Int
  /// Zero columns added right of the input.
  public var padRight: Int
  /// Vertical spacing of kernel taps (1 = dense window).
  public var dilationHeight: Int
  /// Horizontal spacing of kernel taps (1 = dense window).
  public var dilationWidth: Int
  /// Channel groups; `inChannels` and `outChannels` are both multiples of it.
  public var groups: Int

  /// Creates a geometry; strides and dilations default to 1, pads to 0, groups to 1.
  public init(
    inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1, groups: Int = 1
  ) {
    self.inChannels = inChannels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outChannels = outChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.padTop = padTop
    self.padLeft = padLeft
    self.padBottom = padBottom
    self.padRight = padRight
    self.dilationHeight = dilationHeight
    self.dilationWidth = dilationWidth
    self.groups = groups
  }

  /// Output rows: `(inHeight + pads - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1`,
  /// or 0 when the window does not fit the padded input.
  public var outHeight: Int {
    Self.extent(inHeight + padTop + padBottom, kernelHeight, strideHeight, dilationHeight)
  }

  /// Output columns: `(inWidth + pads - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1`,
  /// or 0 when the window does not fit the padded input.
  public var outWidth: Int {
    Self.extent(inWidth + padLeft + padRight, kernelWidth, strideWidth, dilationWidth)
  }

  private static func extent(_ padded: Int, _ kernel: Int, _ stride: Int, _ dilation: Int) -> Int {
    let span = padded - dilation * (kernel - 1) - 1
    return span < 0 ? 0 : span / stride + 1
  }

  /// Input channels seen by one group.
  public var inChannelsPerGroup: Int { inChannels / groups }
  /// Output channels produced by one group.
  public var outChannelsPerGroup: Int { outChannels / groups }
  /// Floats in the weight tensor.
  public var weightCount: Int { outChannels * inChannelsPerGroup * kernelHeight * kernelWidth }
  /// Floats of input per batch item.
  public var inputCountPerItem: Int { inChannels * inHeight * inWidth }
  /// Floats of output per batch item (the convolution's own channels only).
  public var outputCountPerItem: Int { outChannels * outHeight * outWidth }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  ///
  /// Safe on arbitrary values (it checks ranges before computing the output size).
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw RuntimeError("Conv2D: \(s)") }
    let all = [inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
               padTop, padLeft, padBottom, padRight, dilationHeight, dilationWidth, groups]
    if all.contains(where: { $0 >= 1 << 31 }) { try fail("parameter out of range") }
    if inChannels <= 0 || outChannels <= 0 || inHeight <= 0 || inWidth <= 0 { try fail("non-positive shape") }
    if kernelHeight <= 0 || kernelWidth <= 0 { try fail("non-positive kernel") }
    if strideHeight <= 0 || strideWidth <= 0 || dilationHeight <= 0 || dilationWidth <= 0 {
      try fail("non-positive stride or dilation")
    }
    if min(padTop, padLeft, padBottom, padRight) < 0 { try fail("negative padding") }
    if groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0 {
      try fail("groups \(groups) does not divide channels \(inChannels) -> \(outChannels)")
    }
    if outHeight <= 0 || outWidth <= 0 { try fail("empty output \(outHeight)x\(outWidth)") }
  }
}

/// A 2-D convolution over a batch of NCHW float32 tensors: the per-item ``Conv2DGeometry``,
/// the batch size and where the output goes.
///
/// The output may be a channel slice of a larger, channel-concatenated tensor (that is
/// how Concat is done in place): output element `(n, c, y, x)` is stored at
/// `out[((n * outputTotalChannels + outputChannelOffset + c) * outHeight + y) * outWidth + x]`.
public struct Conv2DParameters: Sendable, Equatable {
  /// Shapes and window of the convolution for one batch item.
  public var geometry: Conv2DGeometry
  /// Batch items processed by one call (N).
  public var batch: Int
  /// First channel of the output slice inside the destination tensor.
  public var outputChannelOffset: Int
  /// Channel count of the destination tensor (equals `outChannels` when not a slice).
  public var outputTotalChannels: Int

  /// Creates parameters for `batch` items; `outputTotalChannels` defaults to the geometry's `outChannels`.
  public init(geometry: Conv2DGeometry, batch: Int, outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil) {
    self.geometry = geometry
    self.batch = batch
    self.outputChannelOffset = outputChannelOffset
    self.outputTotalChannels = outputTotalChannels ?? geometry.outChannels
  }

  /// Creates parameters from the geometry's fields; defaults as in
  /// ``Conv2DGeometry/init(inChannels:inHeight:inWidth:outChannels:kernelHeight:kernelWidth:strideHeight:strideWidth:padTop:padLeft:padBottom:padRight:dilationHeight:dilationWidth:groups:)``.
  public init(
    batch: Int, inChannels: Int, inHeight: Int, inWidth: Int,
    outChannels: Int, kernelHeight: Int, kernelWidth: Int,
    strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1, groups: Int = 1,
    outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil
  ) {
    self.init(
      geometry: Conv2DGeometry(
        inChannels: inChannels, inHeight: inHeight, inWidth: inWidth, outChannels: outChannels,
        kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideHeight: strideHeight, strideWidth: strideWidth,
        padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
        dilationHeight: dilationHeight, dilationWidth: dilationWidth, groups: groups),
      batch: batch, outputChannelOffset: outputChannelOffset, outputTotalChannels: outputTotalChannels)
  }

  /// Floats in the whole input tensor (all batch items).
  public var inputCount: Int { batch * geometry.inputCountPerItem }
  /// Floats in the whole destination tensor (all batch items, all channels of a concat).
  public var outputTensorCount: Int { batch * outputTotalChannels * geometry.outHeight * geometry.outWidth }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    try geometry.validate()
    if batch < 0 { throw RuntimeError("Conv2D: negative batch") }
    if outputChannelOffset < 0 || outputChannelOffset + geometry.outChannels > outputTotalChannels {
      throw RuntimeError("Conv2D: channel slice \(outputChannelOffset)+\(geometry.outChannels) exceeds \(outputTotalChannels)")
    }
  }
}
