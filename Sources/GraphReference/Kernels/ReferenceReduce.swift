#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GraphPlan

extension Reference {
  /// `kind` over `values`, in Double, one value at a time as the ONNX spec writes it
  /// (LogSumExp as `log Σ e^x` with the largest value subtracted first). NaN in, NaN out.
  public static func reduce(_ kind: ReduceKind, _ values: some Collection<Float>) -> Float {
    let xs = values.map(Double.init)
    switch kind {
    case .sum: return Float(xs.reduce(0, +))
    case .mean: return Float(xs.reduce(0, +) / Double(xs.count))
    case .sumSquare: return Float(xs.reduce(0) { $0 + $1 * $1 })
    case .l2: return Float(xs.reduce(0) { $0 + $1 * $1 }.squareRoot())
    case .l1: return Float(xs.reduce(0) { $0 + Swift.abs($1) })
    case .logSum: return Float(log(xs.reduce(0, +)))
    case .argMax, .argMin, .argMaxLast, .argMinLast:
      return Float(argIndex(xs, largest: kind == .argMax || kind == .argMaxLast, last: kind == .argMaxLast || kind == .argMinLast))
    case .prod: return Float(xs.reduce(1, *))
    case .max, .min, .logSumExp:
      if xs.contains(where: \.isNaN) { return .nan }
      let peak = xs.reduce(-Double.infinity) { Swift.max($0, $1) }
      if kind == .max { return Float(peak) }
      if kind == .min { return Float(xs.reduce(Double.infinity) { Swift.min($0, $1) }) }
      guard peak.isFinite else { return Float(peak) }
      return Float(peak + log(xs.reduce(0) { $0 + exp($1 - peak) }))
    }
  }

  /// The index of the largest (or smallest) value, the first on ties or the `last`; a NaN (a value
  /// not equal to itself) wins, as in numpy's argmax, which ONNX's ArgMax/ArgMin follow.
  public static func argIndex<T: Comparable>(_ xs: [T], largest: Bool, last: Bool) -> Int {
    let order = last ? Array(xs.indices.reversed()) : Array(xs.indices)
    if let nan = order.first(where: { xs[$0] != xs[$0] }) { return nan }
    guard let extreme = largest ? xs.max() : xs.min() else { return 0 }
    return order.first { xs[$0] == extreme } ?? 0
  }

  /// `kind` over each of `rows` rows of `length` floats, one value per row.
  public static func reduceRows(
    _ kind: ReduceKind, rows: Int, length: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows { output[r] = reduce(kind, UnsafeBufferPointer(start: input + r * length, count: length)) }
  }
}
