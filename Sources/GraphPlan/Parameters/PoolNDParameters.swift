/// A max or average pool over any number of spatial axes for a batch of `[N, C, sizes...]`
/// float32 tensors: the reduction, the per-item ``PoolNDGeometry``, the batch size and where
/// the output goes (a channel slice, as in ``Pool2DParameters``).
public struct PoolNDParameters: Sendable, Equatable {
  /// Max or average.
  public var kind: PoolKind
  /// Shapes and window of the pool for one batch item.
  public var geometry: PoolNDGeometry
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
    kind: PoolKind, geometry: PoolNDGeometry, countIncludePad: Bool = false, batch: Int,
    outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil
  ) {
    self.kind = kind
    self.geometry = geometry
    self.countIncludePad = countIncludePad
    self.batch = batch
    self.outputChannelOffset = outputChannelOffset
    self.outputTotalChannels = outputTotalChannels ?? geometry.channels
  }

  /// 2-D parameters as parameters over two axes.
  public init(_ p: Pool2DParameters) {
    self.init(
      kind: p.kind, geometry: PoolNDGeometry(p.geometry), countIncludePad: p.countIncludePad, batch: p.batch,
      outputChannelOffset: p.outputChannelOffset, outputTotalChannels: p.outputTotalChannels)
  }

  /// Floats in the whole input tensor (all batch items).
  public var inputCount: Int { batch * geometry.inputCountPerItem }
  /// Floats in the whole destination tensor (all batch items, all channels of a concat).
  public var outputTensorCount: Int { batch * outputTotalChannels * geometry.outVolume }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    try geometry.validate()
    if batch < 0 { throw PlanError.format("PoolND: negative batch") }
    if outputChannelOffset < 0 || outputChannelOffset + geometry.channels > outputTotalChannels {
      throw PlanError.format("PoolND: channel slice \(outputChannelOffset)+\(geometry.channels) exceeds \(outputTotalChannels)")
    }
  }
}
