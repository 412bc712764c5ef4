/// A convolution over any number of spatial axes for a batch of `[N, C, sizes...]` float32
/// tensors: the per-item ``ConvNDGeometry``, the batch size and where the output goes.
///
/// As with ``Conv2DParameters`` the output may be a channel slice of a larger tensor: output
/// element `(n, c, position)` is stored at
/// `out[(n * outputTotalChannels + outputChannelOffset + c) * outVolume + position]`.
public struct ConvNDParameters: Sendable, Equatable {
  /// Shapes and window of the convolution for one batch item.
  public var geometry: ConvNDGeometry
  /// Batch items processed by one call (N).
  public var batch: Int
  /// First channel of the output slice inside the destination tensor.
  public var outputChannelOffset: Int
  /// Channel count of the destination tensor (equals `outChannels` when not a slice).
  public var outputTotalChannels: Int

  /// Creates parameters for `batch` items; `outputTotalChannels` defaults to the geometry's `outChannels`.
  public init(geometry: ConvNDGeometry, batch: Int, outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil) {
    self.geometry = geometry
    self.batch = batch
    self.outputChannelOffset = outputChannelOffset
    self.outputTotalChannels = outputTotalChannels ?? geometry.outChannels
  }

  /// 2-D parameters as parameters over two axes.
  public init(_ p: Conv2DParameters) {
    self.init(
      geometry: ConvNDGeometry(p.geometry), batch: p.batch, outputChannelOffset: p.outputChannelOffset,
      outputTotalChannels: p.outputTotalChannels)
  }

  /// Floats in the whole input tensor (all batch items).
  public var inputCount: Int { batch * geometry.inputCountPerItem }
  /// Floats in the whole destination tensor (all batch items, all channels of a concat).
  public var outputTensorCount: Int { batch * outputTotalChannels * geometry.outVolume }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    try geometry.validate()
    if batch < 0 { throw PlanError.format("ConvND: negative batch") }
    if outputChannelOffset < 0 || outputChannelOffset + geometry.outChannels > outputTotalChannels {
      throw PlanError.format("ConvND: channel slice \(outputChannelOffset)+\(geometry.outChannels) exceeds \(outputTotalChannels)")
    }
  }
}
