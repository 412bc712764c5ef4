/// A 2-D max or average pool over a batch of NCHW float32 tensors: the reduction, the
/// per-item ``Pool2DGeometry``, the batch size and where the output goes.
///
/// Like convolutions, the output may be a channel slice of a larger tensor: element
/// `(n, c, y, x)` goes to `out[((n * outputTotalChannels + outputChannelOffset + c) * outHeight + y) * outWidth + x]`.
public struct Pool2DParameters: Sendable, Equatable, BitwiseCopyable {
  /// Max or average.
  public var kind: PoolKind
  /// Shapes and window of the pool for one batch item.
  public var geometry: Pool2DGeometry
  /// Average pooling only: whether padded positions count in the divisor.
  public var countIncludePad: Bool
  /// Batch items processed by one call (N).
  public var batch: Int
  /// First channel of the output slice inside the destination tensor.
  public var outputChannelOffset: Int
  /// Channel count of the destination tensor (equals `channels` when not a slice).
  public var outputTotalChannels: Int

  /// Creates parameters for `batch` items; `outputTotalChannels` defaults to the geometry's `channels`.
  public init(
    kind: PoolKind, geometry: Pool2DGeometry, countIncludePad: Bool = false, batch: Int,
    outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil
  ) {
    self.kind = kind
    self.geometry = geometry
    self.countIncludePad = countIncludePad
    self.batch = batch
    self.outputChannelOffset = outputChannelOffset
    self.outputTotalChannels = outputTotalChannels ?? geometry.channels
  }

  /// Creates parameters from the geometry's fields; defaults as in
  /// ``Pool2DGeometry/init(channels:inHeight:inWidth:outHeight:outWidth:kernelHeight:kernelWidth:strideHeight:strideWidth:padTop:padLeft:padBottom:padRight:dilationHeight:dilationWidth:)``.
  public init(
    kind: PoolKind, batch: Int, channels: Int, inHeight: Int, inWidth: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1,
    outHeight: Int, outWidth: Int, countIncludePad: Bool = false,
    outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil
  ) {
    self.init(
      kind: kind,
      geometry: Pool2DGeometry(
        channels: channels, inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth,
        kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideHeight: strideHeight, strideWidth: strideWidth,
        padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
        dilationHeight: dilationHeight, dilationWidth: dilationWidth),
      countIncludePad: countIncludePad, batch: batch,
      outputChannelOffset: outputChannelOffset, outputTotalChannels: outputTotalChannels)
  }

  /// Floats in the whole input tensor (all batch items).
  public var inputCount: Int { batch * geometry.inputCountPerItem }
  /// Floats in the whole destination tensor (all batch items, all channels of a concat).
  public var outputTensorCount: Int { batch * outputTotalChannels * geometry.outHeight * geometry.outWidth }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    try geometry.validate()
    if batch < 0 { throw PlanError.format("Pool2D: negative batch") }
    if outputChannelOffset < 0 || outputChannelOffset + geometry.channels > outputTotalChannels {
      throw PlanError.format("Pool2D: channel slice \(outputChannelOffset)+\(geometry.channels) exceeds \(outputTotalChannels)")
    }
  }
}
