/// Shape and geometry of a 2-D convolution over NCHW float32 tensors.
///
/// Weights are laid out as ONNX gives them: `[outChannels, inChannels / groups, kernelH, kernelW]`.
///
/// The output may be a channel slice of a larger, channel-concatenated tensor (that is
/// how Concat is done in place): output element `(n, c, y, x)` is stored at
/// `out[((n * outputTotalChannels + outputChannelOffset + c) * outHeight + y) * outWidth + x]`.
public struct Conv2DParameters: Sendable, Equatable {
  public var batch: Int
  public var inChannels: Int
  public var inHeight: Int
  public var inWidth: Int
  public var outChannels: Int
  public var kernelH: Int
  public var kernelW: Int
  public var strideH: Int
  public var strideW: Int
  public var padTop: Int
  public var padLeft: Int
  public var padBottom: Int
  public var padRight: Int
  public var dilationH: Int
  public var dilationW: Int
  public var groups: Int
  /// First channel of the output slice inside the destination tensor.
  public var outputChannelOffset: Int
  /// Channel count of the destination tensor (equals `outChannels` when not a slice).
  public var outputTotalChannels: Int

  /// Creates convolution parameters; `outputTotalChannels` defaults to `outChannels`.
  public init(
    batch: Int, inChannels: Int, inHeight: Int, inWidth: Int,
    outChannels: Int, kernelH: Int, kernelW: Int,
    strideH: Int = 1, strideW: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationH: Int = 1, dilationW: Int = 1, groups: Int = 1,
    outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil
  ) {
    self.batch = batch
    self.inChannels = inChannels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outChannels = outChannels
    self.kernelH = kernelH
    self.kernelW = kernelW
    self.strideH = strideH
    self.strideW = strideW
    self.padTop = padTop
    self.padLeft = padLeft
    self.padBottom = padBottom
    self.padRight = padRight
    self.dilationH = dilationH
    self.dilationW = dilationW
    self.groups = groups
    self.outputChannelOffset = outputChannelOffset
    self.outputTotalChannels = outputTotalChannels ?? outChannels
  }

  /// Output height: `(inH + pads - dilationH * (kernelH - 1) - 1) / strideH + 1`.
  public var outHeight: Int {
    (inHeight + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1
  }

  /// Output width: `(inW + pads - dilationW * (kernelW - 1) - 1) / strideW + 1`.
  public var outWidth: Int {
    (inWidth + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1
  }

  /// Input channels seen by one group.
  public var inChannelsPerGroup: Int { inChannels / groups }
  /// Output channels produced by one group.
  public var outChannelsPerGroup: Int { outChannels / groups }
  /// Element count of the weight tensor.
  public var weightCount: Int { outChannels * inChannelsPerGroup * kernelH * kernelW }
  /// Element count of the input tensor.
  public var inputCount: Int { batch * inChannels * inHeight * inWidth }
  /// Element count of the destination tensor (the whole concat tensor when sliced).
  public var outputTensorCount: Int { batch * outputTotalChannels * outHeight * outWidth }

  /// Checks the invariants kernels rely on; returns a description of the first violation.
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw RuntimeError("Conv2D: \(s)") }
    if batch < 0 || inChannels <= 0 || outChannels <= 0 || inHeight <= 0 || inWidth <= 0 { try fail("non-positive shape") }
    if kernelH <= 0 || kernelW <= 0 { try fail("non-positive kernel") }
    if strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0 { try fail("non-positive stride or dilation") }
    if min(padTop, padLeft, padBottom, padRight) < 0 { try fail("negative padding") }
    if groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0 {
      try fail("groups \(groups) does not divide channels \(inChannels) -> \(outChannels)")
    }
    if outHeight <= 0 || outWidth <= 0 { try fail("empty output \(outHeight)x\(outWidth)") }
    if outputChannelOffset < 0 || outputChannelOffset + outChannels > outputTotalChannels {
      try fail("channel slice \(outputChannelOffset)+\(outChannels) exceeds \(outputTotalChannels)")
    }
  }
}
