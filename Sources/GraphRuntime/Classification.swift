#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A class index and its score, as `FloatTensor.topK(_:)` returns them.
public struct ScoredClass: Equatable, Sendable {
  /// The position along the last axis (the class number).
  public var index: Int
  /// The value there (a probability after `FloatTensor.softmax()`).
  public var score: Float

  public init(index: Int, score: Float) {
    self.index = index
    self.score = score
  }
}

extension FloatTensor {
  /// Softmax over the last axis, row by row: `exp(x - max) / Σ exp(x - max)`, summed in float64.
  /// Apply it only to an output that is not already a distribution
  /// (``CompiledModel/outputIsSoftmax(_:)`` tells). A row holding NaN gives NaN.
  public func softmax() -> FloatTensor {
    guard let classes = shape.last, classes > 0 else { return self }
    var result = values
    result.withUnsafeMutableBufferPointer { out in
      for start in stride(from: 0, to: out.count, by: classes) {
        let row = UnsafeMutableBufferPointer(rebasing: out[start..<(start + classes)])
        let peak = row.max() ?? 0
        var sum = 0.0
        for i in row.indices { sum += exp(Double(row[i] - peak)) }
        for i in row.indices { row[i] = Float(exp(Double(row[i] - peak)) / sum) }
      }
    }
    return FloatTensor(computed: shape, values: result)
  }

  /// The `k` largest values along the last axis for each row (batch item), largest first; equal
  /// values in index order. `k` larger than the axis gives every class; 0 or less gives none.
  public func topK(_ k: Int) -> [[ScoredClass]] {
    guard let classes = shape.last, classes > 0 else { return [] }
    return stride(from: 0, to: values.count, by: classes).map { start in
      let row = values[start..<(start + classes)]
      let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
      return order.prefix(max(0, k)).map { ScoredClass(index: $0 - start, score: row[$0]) }
    }
  }
}
