/// An element-wise binary arithmetic operator.
public enum BinaryOp: Sendable, Equatable {
  /// `a + b`.
  case add
  /// `a - b`.
  case sub
  /// `a * b`.
  case mul
  /// `a / b` (IEEE: division by zero gives ±inf or NaN).
  case div

  /// Applies the operator to one pair.
  @inlinable
  public func apply(_ a: Float, _ b: Float) -> Float {
    switch self {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    }
  }
}

extension Reference {
  /// `out = a op b` with NumPy broadcasting, for ranks up to 6. Returns the output shape;
  /// `output` must hold `broadcastShape(aShape, bShape)`'s element count.
  @discardableResult
  public static func binary(
    _ op: BinaryOp, a: UnsafePointer<Float>, aShape: [Int], b: UnsafePointer<Float>, bShape: [Int],
    output: UnsafeMutablePointer<Float>
  ) throws -> [Int] {
    guard aShape.count <= 6, bShape.count <= 6 else {
      throw RuntimeError("\(op): rank above 6 (\(aShape), \(bShape))")
    }
    let shape = try broadcastShape(aShape, bShape)
    let aStrides = broadcastStrides(aShape, to: shape)
    let bStrides = broadcastStrides(bShape, to: shape)
    let count = shape.reduce(1, *)
    for index in 0..<count {
      var rest = index, ai = 0, bi = 0
      for d in stride(from: shape.count - 1, through: 0, by: -1) {
        let coord = rest % shape[d]
        rest /= shape[d]
        ai += coord * aStrides[d]
        bi += coord * bStrides[d]
      }
      output[index] = op.apply(a[ai], b[bi])
    }
    return shape
  }

  /// `max(x, 0)` over `count` elements; `output` may equal `input`.
  public static func relu(_ input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
    for i in 0..<count { output[i] = Activation.relu.apply(input[i]) }
  }

  /// `min(max(x, lo), hi)` over `count` elements; `output` may equal `input`.
  public static func clip(
    _ input: UnsafePointer<Float>, count: Int, min lo: Float, max hi: Float, output: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<count { output[i] = Activation.clip(min: lo, max: hi).apply(input[i]) }
  }
}
