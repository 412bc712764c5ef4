/// NumPy broadcasting of concrete shapes, written once for plan validation, the
/// reference kernels and the runtime's element-wise kernels.
public enum Broadcast {
  /// The broadcast of two shapes (dimensions aligned at the right; each pair must match
  /// or one of them be 1), or nil when they do not broadcast.
  public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      if da == db || db == 1 {
        out[i] = da
      } else if da == 1 {
        out[i] = db
      } else {
        return nil
      }
    }
    return out
  }

  /// Element strides of a contiguous tensor of `shape` when read as the broadcast shape
  /// `target`: broadcast (size-1 or missing) dimensions get stride 0.
  public static func strides(_ shape: [Int], to target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var running = 1
    let shift = target.count - shape.count
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i + shift] = shape[i] == 1 ? 0 : running
      running *= shape[i]
    }
    return strides
  }

  /// Where element `index` (row-major) of the broadcast shape `shape` reads its two
  /// operands, given their ``strides(_:to:)``: flat offsets into each.
  public static func offsets(of index: Int, in shape: [Int], _ aStrides: [Int], _ bStrides: [Int]) -> (a: Int, b: Int) {
    var rest = index, a = 0, b = 0
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      let coordinate = rest % shape[d]
      rest /= shape[d]
      a += coordinate * aStrides[d]
      b += coordinate * bStrides[d]
    }
    return (a, b)
  }
}
