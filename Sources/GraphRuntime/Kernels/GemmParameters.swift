/// Shape of `Y[m, n] = alpha * op(A) * op(B) (+ beta * C)`, as ONNX Gemm defines it.
///
/// - `A` is `[m, k]` row-major, or `[k, m]` when `transA`.
/// - `B` is `[k, n]` row-major, or `[n, k]` when `transB`. Fully connected layers use
///   `transB = true`: weights `[n, k]` row-major, which is what ONNX Gemm with `transB=1`
///   (and PyTorch's `Linear`) stores, so the compiler can pass them unchanged.
/// - `Y` is `[m, n]` row-major.
public struct GemmParameters: Sendable, Equatable {
  public var m: Int
  public var n: Int
  public var k: Int
  public var alpha: Float
  public var beta: Float
  public var transA: Bool
  public var transB: Bool

  /// Creates Gemm parameters.
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
