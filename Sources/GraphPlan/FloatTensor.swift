/// A float32 tensor passed to or returned from a session: a shape and its values in
/// C (row-major) order, batch first.
public struct FloatTensor: Equatable, Sendable {
  /// Dimensions, batch first (e.g. `[N, C, H, W]`).
  public private(set) var shape: [Int]
  /// The elements in row-major order; `shape.reduce(1, *)` of them.
  public private(set) var values: [Float]

  /// Creates a tensor.
  /// - Parameters:
  ///   - shape: the dimensions, each zero or more.
  ///   - values: exactly the product of `shape` values, in row-major order.
  /// - Throws: ``PlanError/shape(_:)`` when a dimension is negative or the count does not match.
  public init(shape: [Int], values: [Float]) throws(PlanError) {
    try Self.check(shape: shape, count: values.count)
    self.shape = shape
    self.values = values
  }

  /// Checks that `count` elements fill `shape` exactly (every dimension zero or more, the
  /// product representable). Also checks `NPYArray`s.
  /// - Throws: ``PlanError/shape(_:)`` saying what the shape needs and what it got.
  package static func check(shape: [Int], count: Int) throws(PlanError) {
    guard shape.allSatisfy({ $0 >= 0 }) else { throw .shape("shape \(shape) has a negative dimension") }
    let (product, overflow) = shape.reduce((1, false)) { acc, d in
      let (p, o) = acc.0.multipliedReportingOverflow(by: d)
      return (p, acc.1 || o)
    }
    guard !overflow, product == count else {
      throw .shape("shape \(shape) needs \(overflow ? "too many" : String(product)) values, got \(count)")
    }
  }
}

extension FloatTensor {
  /// A tensor whose count the caller has just computed from `shape` (the runtime's outputs).
  package init(computed shape: [Int], values: [Float]) {
    precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
    self.shape = shape
    self.values = values
  }
}

extension FloatTensor {
  /// Lets the runtime overwrite the values in place (same count, same shape): how a session
  /// writes into tensors its caller keeps between runs without allocating.
  package mutating func withUnsafeMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    try values.withUnsafeMutableBufferPointer { try body($0) }
  }
}
