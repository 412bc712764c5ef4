/// A 2-D convolution over a batch of NCHW float32 tensors: the per-item ``Conv2DGeometry``,
/// the batch size and where the output goes.
///
/// The output may be a channel slice of a larger, channel-concatenated tensor (that is
/// how Concat is done in place): output element `(n, c, y, x)` is stored at
/// `out[((n * outputTotalChannels + outputChannelOffset + c) * outHeight + y) * outWidth + x]`.
public struct Conv2DParameters: Sendable, Equatable, BitwiseCopyable {
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
    if batch < 0 { throw PlanError.format("Conv2D: negative batch") }
    if outputChannelOffset < 0 || outputChannelOffset + geometry.outChannels > outputTotalChannels {
      throw PlanError.format("Conv2D: channel slice \(outputChannelOffset)+\(geometry.outChannels) exceeds \(outputTotalChannels)")
    }
  }
}
