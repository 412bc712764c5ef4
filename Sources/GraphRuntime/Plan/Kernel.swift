/// The kernels a plan step can name, with their parameters.
///
/// Shapes are per batch item (NCHW without N); the batch comes from the session.
public enum Kernel: Equatable, Sendable {
  /// 2-D convolution. Input view [C, H, W], output [M, OH, OW]; optional second
  /// input is a residual added before the activation.
  case conv(Convolution)
  /// Max or average pooling over [C, H, W].
  case pool(Pooling)
  /// Global max or average pooling to [C, 1, 1].
  case globalPool(PoolKind)
  /// Fully connected: input [K] per item, output [N]; weights [N, K] row-major.
  case dense(Dense)
  /// Element-wise binary op with NumPy broadcasting of per-item shapes.
  /// A constant operand is given as weights; the other operand is input 0.
  case binary(Binary)
  /// Per-channel `x * scale[c] + shift[c]` then activation (an unfused BatchNorm).
  case channelAffine(scale: WeightRef, shift: WeightRef, activation: Activation)
  /// Element-wise activation of input 0.
  case activation(Activation)
  /// Local response normalization across channels.
  case lrn(size: Int, alpha: Float, beta: Float, bias: Float)
  /// Softmax along a per-item axis, over the per-item dims.
  case softmax(axis: Int)
  /// Permutation of the per-item axes.
  case transpose(perm: [Int])
  /// Copies input 0 into the output view (a concat that could not be done in place).
  case copy
}

public struct Convolution: Equatable, Sendable {
  public var inChannels: Int, inHeight: Int, inWidth: Int
  public var outChannels: Int, outHeight: Int, outWidth: Int
  public var kernelHeight: Int, kernelWidth: Int
  public var strideHeight: Int, strideWidth: Int
  public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
  public var dilationHeight: Int, dilationWidth: Int
  public var groups: Int
  /// Weights packed for the kernel: [M, C/groups, KH, KW].
  public var weights: WeightRef
  public var bias: WeightRef?
  /// Whether input 1 is a residual to add before the activation.
  public var residual: Bool
  public var activation: Activation

  public init(
    inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int, outHeight: Int, outWidth: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
    padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
    dilationHeight: Int, dilationWidth: Int, groups: Int,
    weights: WeightRef, bias: WeightRef?, residual: Bool, activation: Activation
  ) {
    self.inChannels = inChannels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outChannels = outChannels
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
    self.groups = groups
    self.weights = weights
    self.bias = bias
    self.residual = residual
    self.activation = activation
  }
}

public struct Pooling: Equatable, Sendable {
  public var kind: PoolKind
  public var channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
  public var kernelHeight: Int, kernelWidth: Int
  public var strideHeight: Int, strideWidth: Int
  public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
  public var dilationHeight: Int, dilationWidth: Int
  /// Average pooling: divide by the whole window (true) or only by the inputs it covers.
  public var countIncludePad: Bool

  public init(
    kind: PoolKind, channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
    padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
    dilationHeight: Int, dilationWidth: Int, countIncludePad: Bool
  ) {
    self.kind = kind
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
    self.countIncludePad = countIncludePad
  }
}

public struct Dense: Equatable, Sendable {
  public var inFeatures: Int
  public var outFeatures: Int
  /// [outFeatures, inFeatures] row-major (ONNX Gemm with transB = 1).
  public var weights: WeightRef
  public var bias: WeightRef?
  public var activation: Activation

  public init(inFeatures: Int, outFeatures: Int, weights: WeightRef, bias: WeightRef?, activation: Activation) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.weights = weights
    self.bias = bias
    self.activation = activation
  }
}

public struct Binary: Equatable, Sendable {
  public var op: BinaryOp
  /// Per-item shape of the left operand (input 0).
  public var leftDims: [Int]
  /// Per-item shape of the right operand: input 1, or the constant.
  public var rightDims: [Int]
  /// The right operand when it is a constant shared by every batch item.
  public var constant: WeightRef?
  /// Whether the constant is the left operand (for sub/div order).
  public var constantIsLeft: Bool
  public var activation: Activation

  public init(
    op: BinaryOp, leftDims: [Int], rightDims: [Int], constant: WeightRef?, constantIsLeft: Bool,
    activation: Activation
  ) {
    self.op = op
    self.leftDims = leftDims
    self.rightDims = rightDims
    self.constant = constant
    self.constantIsLeft = constantIsLeft
    self.activation = activation
  }
}
