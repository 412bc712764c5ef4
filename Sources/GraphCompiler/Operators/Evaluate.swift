import GraphIR

/// Helpers evaluators share: running a pointer-based reference kernel over tensors,
/// and the index arithmetic of row-major tensors.
enum Evaluate {
  /// Runs `body` on `x`'s floats and a fresh output of `count` floats.
  static func floats(count: Int, _ x: Tensor, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows -> [Float] {
    let src = x.floats
    var out = [Float](repeating: 0, count: count)
    try src.withUnsafeBufferPointer { s in try out.withUnsafeMutableBufferPointer { d in try body(s.baseAddress!, d.baseAddress!) } }
    return out
  }

  /// Runs `body` on the floats of `a` and `b` and a fresh output of `count` floats.
  static func floats(
    count: Int, _ a: Tensor, _ b: Tensor,
    _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void
  ) rethrows -> [Float] {
    let (sa, sb) = (a.floats, b.floats)
    var out = [Float](repeating: 0, count: count)
    try sa.withUnsafeBufferPointer { pa in
      try sb.withUnsafeBufferPointer { pb in
        try out.withUnsafeMutableBufferPointer { d in try body(pa.baseAddress!, pb.baseAddress!, d.baseAddress!) }
      }
    }
    return out
  }

  /// Row-major strides of `dims`.
  static func strides(_ dims: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: dims.count)
    for i in stride(from: dims.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * dims[i + 1] }
    return s
  }

  /// The flat indices of each lane along `axis` of a C-order tensor of `dims`, lanes in the order
  /// of the other axes (as a reduction over `axis` lays its outputs out).
  static func lanes(_ dims: [Int], axis: Int) -> [[Int]] {
    let length = dims[axis], inner = dims[(axis + 1)...].reduce(1, *), outer = dims[..<axis].reduce(1, *)
    return (0..<(outer * inner)).map { lane in
      let base = (lane / inner) * length * inner + lane % inner
      return (0..<length).map { base + $0 * inner }
    }
  }

  /// Picks elements by flat index, keeping the storage kind (floats, doubles or integers).
  static func select(_ x: Tensor, dims: [Int], _ indices: [Int]) -> Tensor {
    switch x.storage {
    case .floats(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .floats(indices.map { v[$0] }))
    case .doubles(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .doubles(indices.map { v[$0] }))
    case .integers(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .integers(indices.map { v[$0] }))
    case .unloaded: return Tensor(dataType: x.dataType, dims: dims, storage: .unloaded)
    }
  }

  /// `x` with new dims and the same elements.
  static func reshaped(_ x: Tensor, _ dims: [Int]) -> Tensor {
    var t = x
    t.dims = dims
    return t
  }
}
