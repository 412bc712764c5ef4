import GraphPlan
import GraphReference
import TestSupport
import XCTest

@testable import GraphRuntime

/// The reduce kernel and LogSoftmax against the reference, by hand and on random rows.
final class ReduceTests: XCTestCase {
  func testReduceByHand() {
    let x: [Float] = [1, -2, 3, 4, 0.5, -1]  // two rows of three
    let expected: [(ReduceKind, [Float])] = [
      (.sum, [2, 3.5]), (.mean, [2.0 / 3, 3.5 / 3]), (.max, [3, 4]), (.min, [-2, -1]), (.l2, [Float(14).squareRoot(), Float(17.25).squareRoot()]),
      (.sumSquare, [14, 17.25]), (.prod, [-6, -2]), (.logSumExp, [Float(log(exp(1.0) + exp(-2.0) + exp(3.0))), Float(log(exp(4.0) + exp(0.5) + exp(-1.0)))]),
      (.l1, [6, 5.5]), (.logSum, [Float(log(2.0)), Float(log(3.5))]),
      (.argMax, [2, 0]), (.argMin, [1, 2]), (.argMaxLast, [2, 0]), (.argMinLast, [1, 2]),
    ]
    for (kind, values) in expected {
      var fast = [Float](repeating: 0, count: 2), reference = fast
      Kernels.reduceRows(kind, rows: 2, length: 3, input: x, output: &fast)
      Reference.reduceRows(kind, rows: 2, length: 3, input: x, output: &reference)
      assertClose(reference, values, atol: 0, rtol: 1e-7, "\(kind) reference")
      assertClose(fast, values, atol: 0, rtol: 1e-7, "\(kind)")
    }
  }

  /// Rows of many lengths (vector loops and their tails), NaN and infinities, on 1 and 2 threads.
  func testReduceMatchesReference() {
    var rng = SeededRandom(seed: 21)
    let pool = ThreadPool(threads: 2)
    for length in [1, 3, 4, 15, 16, 17, 33, 1000, 40_000] {
      let rows = max(2, 60_000 / length)
      var x = rng.floats(rows * length).map { $0 * 4 }
      x[length / 2] = .nan
      if rows > 2 { x[length + length / 3] = .infinity }
      if rows > 3 { x[2 * length] = -.infinity }
      for kind in ReduceKind.allCases {
        var one = [Float](repeating: 0, count: rows), two = one, reference = one
        Kernels.reduceRows(kind, rows: rows, length: length, input: x, output: &one)
        Kernels.reduceRows(kind, rows: rows, length: length, input: x, output: &two, pool: pool)
        Reference.reduceRows(kind, rows: rows, length: length, input: x, output: &reference)
        assertIdentical(two, one, "\(kind) length \(length) on 2 threads")
        if kind.name.hasPrefix("arg") {
          XCTAssertEqual(one[0], Float(length / 2), "\(kind): the NaN's index")
        } else {
          XCTAssertTrue(one[0].isNaN, "\(kind) of a row with NaN")
        }
        // Products of many values in [-4, 4] leave the float range; compare where the reference is finite.
        let rtol: Float = kind == .prod ? 1e-6 : 2e-7
        // LogSumExp is `max + log Σ`: where the two nearly cancel, each one's rounding (about
        // 2e-7 of values up to 4 and of the log of the row length) is absolute error.
        let atol: Float = kind == .logSumExp ? 1e-6 : 0
        for r in 0..<rows where !(one[r] == reference[r] || (one[r].isNaN && reference[r].isNaN)) {
          if abs(one[r] - reference[r]) > atol + rtol * abs(reference[r]) {
            XCTFail("\(kind) length \(length) row \(r): \(one[r]), reference \(reference[r])")
            break
          }
        }
      }
    }
  }

  /// ArgMax/ArgMin on rows of few distinct values (ties everywhere, ±0 among them), every length
  /// around the 16-lane loop, exactly as the reference; two NaNs: the first or the last wins.
  func testArgExtremesBreakTiesAsTheReference() {
    var rng = SeededRandom(seed: 5)
    let kinds: [ReduceKind] = [.argMax, .argMin, .argMaxLast, .argMinLast]
    for length in Array(1...40) + [100, 257] {
      let rows = 50
      var x = rng.floats(rows * length).map { ($0 * 3).rounded() }
      for i in stride(from: 0, to: x.count, by: 7) where x[i] == 0 { x[i] = -0.0 }
      for kind in kinds {
        var fast = [Float](repeating: -1, count: rows), reference = fast
        Kernels.reduceRows(kind, rows: rows, length: length, input: x, output: &fast)
        Reference.reduceRows(kind, rows: rows, length: length, input: x, output: &reference)
        XCTAssertEqual(fast, reference, "\(kind) length \(length)")
      }
    }
    let nans: [Float] = [1, .nan, 5, 2, .nan] + [Float](repeating: 9, count: 20)
    for (kind, want) in zip(kinds, [1, 1, 4, 4] as [Float]) {
      var out: [Float] = [0]
      Kernels.reduceRows(kind, rows: 1, length: nans.count, input: nans, output: &out)
      XCTAssertEqual(out, [want], "\(kind) with two NaNs")
    }
  }

  func testLogSoftmaxMatchesReference() throws {
    var out = [Float](repeating: 0, count: 3)
    try Reference.softmax([1, 2, 3], shape: [3], axis: 0, log: true, output: &out)
    assertClose(out, [-2.40760596, -1.40760596, -0.40760596], atol: 0, rtol: 1e-7, "by hand")
    // Logits far apart: log-probabilities far below float's smallest probability stay finite.
    Kernels.softmax([0, 200], shape: [2], axis: 0, log: true, output: &out)
    XCTAssertEqual(Array(out[..<2]), [-200, 0])
    var rng = SeededRandom(seed: 22)
    let pool = ThreadPool(threads: 2)
    for (shape, axis) in [([7, 33], 1), ([3, 5, 17], 1), ([4, 9, 2, 3], 3), ([70], 0)] {
      let x = rng.floats(shape.reduce(1, *)).map { $0 * 30 }
      var fast = [Float](repeating: 0, count: x.count), reference = fast
      Kernels.softmax(x, shape: shape, axis: axis, log: true, output: &fast, pool: pool)
      try Reference.softmax(x, shape: shape, axis: axis, log: true, output: &reference)
      assertClose(fast, reference, atol: 2e-6, rtol: 1e-6, "\(shape) axis \(axis)")
    }
  }
}
