/// The activation applied last, to every output element of a fused kernel.
public enum Activation: Sendable, Equatable {
  /// Identity.
  case none
  /// `max(x, 0)`.
  case relu
  /// `min(max(x, min), max)` (ONNX Clip, e.g. ReLU6 as `clip(0, 6)`).
  case clip(min: Float, max: Float)

  /// Applies the activation to one value.
  @inlinable
  public func apply(_ x: Float) -> Float {
    switch self {
    case .none: return x
    // Written as comparisons so that NaN propagates like ONNX Runtime's.
    case .relu: return x < 0 ? 0 : x
    case .clip(let lo, let hi): return x < lo ? lo : (x > hi ? hi : x)
    }
  }
}

/// Work fused into the store of a kernel's output, applied per output element as
///
///     y = activation(acc + bias[channel] + residual[element])
///
/// - `bias` has one value per output channel for convolutions, one per output column
///   for Gemm. It is added unscaled (the compiler folds Gemm's `beta` into it).
/// - `residual` is a contiguous tensor with the *logical* shape of the kernel's output
///   (`[N, C, H, W]` for a convolution, `[M, N]` for Gemm) even when the output itself is
///   written into a channel slice of a larger tensor. It may alias the output only when
///   the output is not a slice and the element positions coincide (in-place add).
///
/// The pointers must stay valid for the duration of the kernel call; the struct is
/// `@unchecked Sendable` because kernels share it with their worker threads.
public struct Epilogue: @unchecked Sendable, Equatable {
  /// Optional per-channel (convolution) or per-column (Gemm) bias.
  public var bias: UnsafePointer<Float>?
  /// Optional tensor added element-wise before the activation.
  public var residual: UnsafePointer<Float>?
  /// Activation applied last.
  public var activation: Activation

  /// Creates an epilogue; the default does nothing.
  public init(bias: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil, activation: Activation = .none) {
    self.bias = bias
    self.residual = residual
    self.activation = activation
  }

  /// An epilogue that stores the accumulator unchanged.
  public static let none = Epilogue()
}
