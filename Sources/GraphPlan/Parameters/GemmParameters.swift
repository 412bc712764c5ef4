/// Shape of `Y[m, n] = alpha * op(A) * op(B) (+ beta * C)`, as ONNX Gemm defines it.
///
/// - `A` is `[m, k]` row-major, or `[k, m]` when `transA`.
/// - `B` is `[k, n]` row-major, or `[n, k]` when `transB`. Fully connected layers use
///   `transB = true`: weights `[n, k]` row-major, which is what ONNX Gemm with `transB=1`
///   (and PyTorch's `Linear`) stores, so the compiler can pass them unchanged.
/// - `Y` is `[m, n]` row-major.
public struct GemmParameters: Sendable, Equatable, BitwiseCopyable {
  /// Rows of `Y` (the batch, for a dense layer).
  public var m: Int
  /// Columns of `Y` (output features).
  public var n: Int
  /// The reduction length (input features).
  public var k: Int
  /// Scale of `op(A) * op(B)`.
  public var alpha: Float
  /// Scale of the addend `C`.
  public var beta: Float
  /// Whether `A` is stored transposed, `[k, m]`.
  public var transA: Bool
  /// Whether `B` is stored transposed, `[n, k]`.
  public var transB: Bool

  /// Creates parameters; `alpha` and `beta` default to 1, neither operand transposed.
  public init(m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
    self.m = m
    self.n = n
    self.k = k
    self.alpha = alpha
    self.beta = beta
    self.transA = transA
    self.transB = transB
  }
}
