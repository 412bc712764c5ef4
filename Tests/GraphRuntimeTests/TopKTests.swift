import GraphPlan
import GraphReference
import TestSupport
import XCTest

@testable import GraphRuntime

/// The top-k kernel against the reference: by hand, and on rows full of ties and NaN.
final class TopKTests: XCTestCase {
  func run(_ x: [Float], rows: Int, k: Int, largest: Bool, indices: Bool, pool: ThreadPool? = nil) -> (fast: [Float], reference: [Float]) {
    var fast = [Float](repeating: -7, count: rows * k), reference = fast
    Kernels.topK(rows: rows, length: x.count / rows, k: k, largest: largest, indices: indices, input: x, output: &fast, pool: pool)
    Reference.topKRows(rows: rows, length: x.count / rows, k: k, largest: largest, indices: indices, input: x, output: &reference)
    return (fast, reference)
  }

  /// Ties keep the lower index first; NaN ranks above every number.
  func testByHand() {
    let x: [Float] = [3, 1, 3, -2, 1, .nan, 0, -0.0]
    let cases: [(Bool, Bool, [Float])] = [
      (true, false, [.nan, 3, 3, 1]), (true, true, [5, 0, 2, 1]), (false, false, [-2, 0, -0.0, 1]), (false, true, [3, 6, 7, 1]),
    ]
    for (largest, indices, want) in cases {
      let r = run(x, rows: 1, k: 4, largest: largest, indices: indices)
      for (got, path) in [(r.fast, "fast"), (r.reference, "reference")] {
        XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "largest \(largest) indices \(indices) \(path): \(got)")
      }
    }
  }

  /// Every length around the 16-value skip, k up to the row (past 64: the sorting path), few
  /// distinct values with NaN among them, on 1 and 2 threads: exactly the reference.
  func testMatchesReferenceOnTies() {
    var rng = SeededRandom(seed: 9)
    let pool = ThreadPool(threads: 2)
    for length in Array(1...40) + [100, 257] {
      let rows = 20
      var x = rng.floats(rows * length).map { ($0 * 4).rounded() }
      for i in stride(from: 3, to: x.count, by: 29) { x[i] = .nan }
      for k in Set([1, 2, 5, length / 2, length - 1, length, 65].filter { $0 >= 1 && $0 <= length }) {
        for largest in [true, false] {
          for indices in [false, true] {
            let r = run(x, rows: rows, k: k, largest: largest, indices: indices)
            XCTAssertEqual(r.fast.map(\.bitPattern), r.reference.map(\.bitPattern), "length \(length) k \(k) largest \(largest) indices \(indices)")
            let two = run(x, rows: rows, k: k, largest: largest, indices: indices, pool: pool)
            XCTAssertEqual(two.fast.map(\.bitPattern), r.fast.map(\.bitPattern), "2 threads")
          }
        }
      }
    }
  }
}
