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
public struct Epilogue: @unchecked Sendable, Equatable, BitwiseCopyable {
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

/// The `C` operand of ONNX Gemm, with the shapes unidirectional broadcasting allows.
public enum GemmAddend: @unchecked Sendable, Equatable {
  /// No `C`.
  case none
  /// A single value (`C` of shape `[]` or `[1]` or `[1, 1]`).
  case scalar(UnsafePointer<Float>)
  /// One value per column (`C` of shape `[n]` or `[1, n]`).
  case row(UnsafePointer<Float>)
  /// One value per row (`C` of shape `[m, 1]`).
  case column(UnsafePointer<Float>)
  /// A full `[m, n]` matrix.
  case full(UnsafePointer<Float>)
}
