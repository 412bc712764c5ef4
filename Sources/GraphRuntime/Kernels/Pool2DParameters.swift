/// Which reduction a pooling window performs.
public enum PoolKind: Sendable, Equatable {
  /// The largest value in the window (padding never counts).
  case max
  /// The mean of the window; see `countIncludePad` for the divisor.
  case average
}

/// The window arithmetic of a 2-D pool for one batch item: channels, input and output
/// sizes, window, strides, pads and dilations. The plan's ``Pooling`` and the kernels'
/// ``Pool2DParameters`` both hold one.
///
/// Input `[channels, inHeight, inWidth]`, output `[channels, outHeight, outWidth]` (NCHW
/// without N), sizes in elements. `outHeight`/`outWidth` are stored, not derived: the
/// compiler computes them (with `ceil_mode` if set) using
/// ``outputExtent(input:kernel:stride:padBegin:padEnd:dilation:ceilMode:)``. With `ceil_mode`,
/// the last window may run past the end padding; positions beyond the padding are never
/// counted, not even with `countIncludePad`.
public struct Pool2DGeometry: Sendable, Equatable {
  /// Channels of input and output (pooling never mixes channels).
  public var channels: Int
  /// Input rows.
  public var inHeight: Int
  /// Input columns.
  public var inWidth: Int
  /// Output rows.
  public var outHeight: Int
  /// Output columns.
  public var outWidth: Int
  /// Window rows.
  public var kernelHeight: Int
  /// Window columns.
  public var kernelWidth: Int
  /// Vertical step between windows.
  public var strideHeight: Int
  /// Horizontal step between windows.
  public var strideWidth: Int
  /// Padding rows above the input.
  public var padTop: Int
  /// Padding columns left of the input.
  public var padLeft: Int
  /// Padding rows below the input.
  public var padBottom: Int
  /// Padding columns right of the input.
  public var padRight: Int
  /// Vertical spacing of window taps (1 = dense window).
  public var dilationHeight: Int
  /// Horizontal spacing of window taps (1 = dense window).
  public var dilationWidth: Int

  /// Creates a geometry; strides and dilations default to 1, pads to 0.
  public init(
    channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1
  ) {
    self.channels = channels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outHeight = outHeight
    self.outWidth = outWidth
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
  }

  /// The output extent along one axis, as ONNX (opset 19+) and PyTorch compute it.
  ///
  /// With `ceilMode` the division rounds up, but a last window that would start past the
  /// input and the begin padding (i.e. entirely in the extra end region) is dropped.
  public static func outputExtent(
    input: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int, dilation: Int = 1, ceilMode: Bool
  ) -> Int {
    let span = input + padBegin + padEnd - dilation * (kernel - 1) - 1
    if span < 0 { return 0 }
    var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode && (out - 1) * stride >= input + padBegin { out -= 1 }
    return out
  }

  /// Floats of input per batch item.
  public var inputCountPerItem: Int { channels * inHeight * inWidth }
  /// Floats of output per batch item.
  public var outputCountPerItem: Int { channels * outHeight * outWidth }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw RuntimeError("Pool2D: \(s)") }
    let all = [channels, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth,
               padTop, padLeft, padBottom, padRight, dilationHeight, dilationWidth]
    if all.contains(where: { $0 >= 1 << 31 }) { try fail("parameter out of range") }
    if channels <= 0 || inHeight <= 0 || inWidth <= 0 { try fail("non-positive shape") }
    if kernelHeight <= 0 || kernelWidth <= 0 || strideHeight <= 0 || strideWidth <= 0
      || dilationHeight <= 0 || dilationWidth <= 0 {
      try fail("non-positive kernel, stride or dilation")
    }
    if min(padTop, padLeft, padBottom, padRight) < 0 { try fail("negative padding") }
    if outHeight <= 0 || outWidth <= 0 { try fail("empty output \(outHeight)x\(outWidth)") }
  }
}

/// A 2-D max or average pool over a batch of NCHW float32 tensors: the reduction, the
/// per-item ``Pool2DGeometry``, the batch size and where the output goes.
///
/// Like convolutions, the output may be a channel slice of a larger tensor: element
/// `(n, c, y, x)` goes to `out[((n * outputTotalChannels + outputChannelOffset + c) * outHeight + y) * outWidth + x]`.
public struct Pool2DParameters: Sendable, Equatable {
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
    if batch < 0 { throw RuntimeError("Pool2D: negative batch") }
    if outputChannelOffset < 0 || outputChannelOffset + geometry.channels > outputTotalChannels {
      throw RuntimeError("Pool2D: channel slice \(outputChannelOffset)+\(geometry.channels) exceeds \(outputTotalChannels)")
    }
  }
}
