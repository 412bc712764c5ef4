/// Which reduction a pooling window performs.
public enum PoolKind: Sendable, Equatable {
  case max
  case average
}

/// Geometry of a 2-D max or average pool over NCHW float32 tensors.
///
/// `outHeight`/`outWidth` are passed explicitly: the compiler derives them (with
/// `ceil_mode` if set) using ``outputExtent(input:kernel:stride:padBegin:padEnd:dilation:ceilMode:)``.
/// With `ceil_mode`, the last window may run past the end padding; positions beyond the
/// padding are never counted, not even with `countIncludePad`.
///
/// Like convolutions, the output may be a channel slice of a larger tensor: element
/// `(n, c, y, x)` goes to `out[((n * outputTotalChannels + outputChannelOffset + c) * outHeight + y) * outWidth + x]`.
public struct Pool2DParameters: Sendable, Equatable {
  public var kind: PoolKind
  public var batch: Int
  public var channels: Int
  public var inHeight: Int
  public var inWidth: Int
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
  public var outHeight: Int
  public var outWidth: Int
  /// Average pooling only: whether padded positions count in the divisor.
  public var countIncludePad: Bool
  /// First channel of the output slice inside the destination tensor.
  public var outputChannelOffset: Int
  /// Channel count of the destination tensor (equals `channels` when not a slice).
  public var outputTotalChannels: Int

  /// Creates pooling parameters; `outputTotalChannels` defaults to `channels`.
  public init(
    kind: PoolKind, batch: Int, channels: Int, inHeight: Int, inWidth: Int,
    kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationH: Int = 1, dilationW: Int = 1,
    outHeight: Int, outWidth: Int, countIncludePad: Bool = false,
    outputChannelOffset: Int = 0, outputTotalChannels: Int? = nil
  ) {
    self.kind = kind
    self.batch = batch
    self.channels = channels
    self.inHeight = inHeight
    self.inWidth = inWidth
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
    self.outHeight = outHeight
    self.outWidth = outWidth
    self.countIncludePad = countIncludePad
    self.outputChannelOffset = outputChannelOffset
    self.outputTotalChannels = outputTotalChannels ?? channels
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

  /// Element count of the input tensor.
  public var inputCount: Int { batch * channels * inHeight * inWidth }
  /// Element count of the destination tensor (the whole concat tensor when sliced).
  public var outputTensorCount: Int { batch * outputTotalChannels * outHeight * outWidth }

  /// Checks the invariants kernels rely on.
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw RuntimeError("Pool2D: \(s)") }
    if batch < 0 || channels <= 0 || inHeight <= 0 || inWidth <= 0 { try fail("non-positive shape") }
    if kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0 {
      try fail("non-positive kernel, stride or dilation")
    }
    if min(padTop, padLeft, padBottom, padRight) < 0 { try fail("negative padding") }
    if outHeight <= 0 || outWidth <= 0 { try fail("empty output \(outHeight)x\(outWidth)") }
    if outputChannelOffset < 0 || outputChannelOffset + channels > outputTotalChannels {
      try fail("channel slice \(outputChannelOffset)+\(channels) exceeds \(outputTotalChannels)")
    }
  }
}
