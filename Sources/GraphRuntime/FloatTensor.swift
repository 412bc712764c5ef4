/// A float32 tensor passed to or returned from a ``Session``: a shape and its
/// values in C (row-major) order, batch first.
public struct FloatTensor: Equatable, Sendable {
  /// Dimensions, batch first (e.g. `[N, C, H, W]`).
  public var shape: [Int]
  /// The elements in row-major order; `shape.reduce(1, *)` of them.
  public var values: [Float]

  /// Creates a tensor; `values.count` must equal the product of `shape`.
  public init(shape: [Int], values: [Float]) {
    precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
    self.shape = shape
    self.values = values
  }
}
