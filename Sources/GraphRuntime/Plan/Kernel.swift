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

/// A convolution step: per-item geometry, weights in the plan's weights, and the fused epilogue.
public struct Convolution: Equatable, Sendable {
  /// Shapes and window for one batch item.
  public var geometry: Conv2DGeometry
  /// Weights packed for the kernel: [M, C/groups, KH, KW], ``Conv2DGeometry/weightCount`` floats.
  public var weights: WeightRef
  /// One float per output channel, added before the residual and activation.
  public var bias: WeightRef?
  /// Whether input 1 is a residual to add before the activation.
  public var residual: Bool
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a convolution step's parameters.
  public init(geometry: Conv2DGeometry, weights: WeightRef, bias: WeightRef?, residual: Bool, activation: Activation) {
    self.geometry = geometry
    self.weights = weights
    self.bias = bias
    self.residual = residual
    self.activation = activation
  }
}

/// A max or average pooling step.
public struct Pooling: Equatable, Sendable {
  /// Max or average.
  public var kind: PoolKind
  /// Shapes and window for one batch item.
  public var geometry: Pool2DGeometry
  /// Average pooling: divide by the whole window (true) or only by the inputs it covers.
  public var countIncludePad: Bool

  /// Creates a pooling step's parameters.
  public init(kind: PoolKind, geometry: Pool2DGeometry, countIncludePad: Bool) {
    self.kind = kind
    self.geometry = geometry
    self.countIncludePad = countIncludePad
  }
}

/// A fully connected step: `y = activation(W x + b)` per batch item.
public struct Dense: Equatable, Sendable {
  /// Floats read per batch item (K).
  public var inFeatures: Int
  /// Floats written per batch item (N).
  public var outFeatures: Int
  /// [outFeatures, inFeatures] row-major (ONNX Gemm with transB = 1).
  public var weights: WeightRef
  /// One float per output feature, or nil.
  public var bias: WeightRef?
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a dense step's parameters.
  public init(inFeatures: Int, outFeatures: Int, weights: WeightRef, bias: WeightRef?, activation: Activation) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.weights = weights
    self.bias = bias
    self.activation = activation
  }
}

/// An element-wise binary step: `activation(left op right)` with NumPy broadcasting.
public struct Binary: Equatable, Sendable {
  /// The arithmetic operator.
  public var op: BinaryOp
  /// Per-item shape of input 0 (the left operand unless `constantIsLeft`).
  public var leftDims: [Int]
  /// Per-item shape of the other operand: input 1, or the constant.
  public var rightDims: [Int]
  /// The other operand when it is a constant shared by every batch item (`rightDims` floats).
  public var constant: WeightRef?
  /// Whether the constant is the left operand (for sub/div order).
  public var constantIsLeft: Bool
  /// Applied last, to each output value.
  public var activation: Activation

  /// Creates a binary step's parameters.
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
