#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GraphPlan

extension Kernels {
  /// One value per row of `rows` rows of `length` contiguous floats (ONNX ReduceSum, ReduceMax
  /// and the rest; `Reference.reduceRows` is the oracle). Rows are split across the pool in
  /// chunks of about 16K floats. Sums and products run in four interleaved lanes of Double (they
  /// vectorize, in a fixed order per length, and finite floats whose sum is finite never overflow);
  /// max, min and the exponentials of LogSumExp run 16 floats at a time.
  package static func reduceRows(
    _ kind: ReduceKind, rows: Int, length: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil
  ) {
    let perChunk = max(1, 16_384 / max(length, 1)), chunks = (rows + perChunk - 1) / perChunk
    parallelFor(pool, chunks, (kind, rows, length, perChunk, input, output)) { context, chunk in
      let (kind, rows, length, perChunk, input, output) = context
      for row in chunk * perChunk..<min(rows, (chunk + 1) * perChunk) {
        output[row] = reduceRow(kind, input + row * length, length)
      }
    }
  }

  @inline(__always)
  private static func reduceRow(_ kind: ReduceKind, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
    switch kind {
    case .sum: return Float(doubleLanes(x, count, 0, { $0 + Double($1) }, +))
    case .mean: return Float(doubleLanes(x, count, 0, { $0 + Double($1) }, +) / Double(count))
    case .sumSquare: return Float(doubleLanes(x, count, 0, { $0 + Double($1) * Double($1) }, +))
    case .l2: return Float(doubleLanes(x, count, 0, { $0 + Double($1) * Double($1) }, +).squareRoot())
    case .l1: return Float(doubleLanes(x, count, 0, { $0 + Swift.abs(Double($1)) }, +))
    // One log per row: in Double, the sum's own rounding only (a negative sum gives NaN).
    case .logSum: return Float(log(doubleLanes(x, count, 0, { $0 + Double($1) }, +)))
    case .prod: return Float(doubleLanes(x, count, 1, { $0 * Double($1) }, *))
    case .max: return extreme(x, count, largest: true)
    case .min: return extreme(x, count, largest: false)
    case .logSumExp:
      let peak = extreme(x, count, largest: true)
      // All -inf (or an empty row) gives -inf; +inf or NaN is the answer itself.
      guard peak.isFinite else { return peak }
      return peak + logf(sumOfExponentials(x, count, minus: peak))
    case .argMax: return Float(argExtreme(x, count, largest: true, last: false))
    case .argMin: return Float(argExtreme(x, count, largest: false, last: false))
    case .argMaxLast: return Float(argExtreme(x, count, largest: true, last: true))
    case .argMinLast: return Float(argExtreme(x, count, largest: false, last: true))
    }
  }

  /// The index of the largest (or smallest) value; ties go to the first index, or the last with
  /// `last`. A NaN wins, as in numpy's argmax. Sixteen lanes each keep their best value and its
  /// index (lane `k` sees indices `k mod 16`), then the lanes are compared, ties by index.
  @inline(__always)
  private static func argExtreme(_ x: UnsafePointer<Float>, _ count: Int, largest: Bool, last: Bool) -> Int {
    guard count > 0 else { return 0 }
    var result = 0, i = 1
    var sawNaN = x[0].isNaN
    if count >= 16 {
      let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
      var best = UnsafeRawPointer(x).loadUnaligned(as: SIMD16<Float>.self), index = lanes
      var nan = best .!= best
      i = 16
      while i + 16 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        nan .|= v .!= v
        let better = largest ? (last ? v .>= best : v .> best) : (last ? v .<= best : v .< best)
        best.replace(with: v, where: better)
        index.replace(with: lanes &+ Int32(i), where: better)
        i += 16
      }
      sawNaN = any(nan)
      result = Int(index[0])
      for k in 1..<16 {
        let v = best[k], r = x[result]
        if largest ? v > r : v < r { result = Int(index[k]) } else if v == r, last == (Int(index[k]) > result) { result = Int(index[k]) }
      }
    }
    while i < count {
      let v = x[i], r = x[result]
      sawNaN = sawNaN || v.isNaN
      if largest ? (last ? v >= r : v > r) : (last ? v <= r : v < r) { result = i }
      i += 1
    }
    guard sawNaN else { return result }
    var nanIndex = 0
    for k in 0..<count where x[k].isNaN {
      nanIndex = k
      if !last { break }
    }
    return nanIndex
  }

  /// `combine`s every value into four lanes started at `start`, the lanes joined by `join`.
  @inline(__always)
  private static func doubleLanes(
    _ x: UnsafePointer<Float>, _ count: Int, _ start: Double, _ combine: (Double, Float) -> Double, _ join: (Double, Double) -> Double
  ) -> Double {
    var lanes = (start, start, start, start)
    var i = 0
    while i + 4 <= count {
      lanes.0 = combine(lanes.0, x[i])
      lanes.1 = combine(lanes.1, x[i + 1])
      lanes.2 = combine(lanes.2, x[i + 2])
      lanes.3 = combine(lanes.3, x[i + 3])
      i += 4
    }
    var result = join(join(lanes.0, lanes.1), join(lanes.2, lanes.3))
    while i < count {
      result = combine(result, x[i])
      i += 1
    }
    return result
  }

  /// The largest (or smallest) value, NaN if any is NaN; ∓inf for no values.
  @inline(__always)
  private static func extreme(_ x: UnsafePointer<Float>, _ count: Int, largest: Bool) -> Float {
    let start: Float = largest ? -.infinity : .infinity
    var best = SIMD16<Float>(repeating: start), nan = SIMDMask<SIMD16<Int32>>()
    var i = 0
    while i + 16 <= count {
      let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
      nan .|= v .!= v
      best = largest ? best.replacing(with: v, where: v .> best) : best.replacing(with: v, where: v .< best)
      i += 16
    }
    if any(nan) { return .nan }
    var result = largest ? best.max() : best.min()
    while i < count {
      let v = x[i]
      if v.isNaN { return v }
      if largest ? v > result : v < result { result = v }
      i += 1
    }
    return result
  }

  /// `Σ e^(x - peak)`, 16 exponentials at a time (VectorMath's, as the activations use).
  @inline(__always)
  private static func sumOfExponentials(_ x: UnsafePointer<Float>, _ count: Int, minus peak: Float) -> Float {
    var total = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
      total += VectorMath.exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - peak)
      i += 16
    }
    if i < count {
      var e = VectorMath.exp(VectorMath.load(x + i, count: count - i) - peak)
      for lane in (count - i)..<16 { e[lane] = 0 }
      total += e
    }
    return total.sum()
  }
}
