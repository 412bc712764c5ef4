import GraphPlan
import GraphReference
import TestSupport
import XCTest

@testable import GraphRuntime

/// The index-copy kernel (Pad, Expand, Tile, nearest Resize) and the resize kernel against
/// their references, by hand and at random.
final class IndexCopyTests: XCTestCase {
  static let pool = ThreadPool(threads: 2)

  func run(_ x: [Float], shape: [Int], _ sources: [[Int]], fill: Float = 0) throws -> (fast: [Float], expected: [Float]) {
    let count = sources.map(\.count).reduce(1, *)
    var fast = [Float](repeating: .nan, count: count), expected = fast
    Kernels.indexCopy(x, AxisOffsets(inputShape: shape, sources: sources, fill: fill), output: &fast)
    try Reference.indexCopy(x, shape: shape, sources: sources, fill: fill, output: &expected)
    return (fast, expected)
  }

  func testIndexCopyByHand() throws {
    let x: [Float] = [1, 2, 3, 4, 5, 6]  // [2, 3]
    // Constant pad of one row above and one column each side, with -1 as the value.
    let padded = try run(x, shape: [2, 3], [[-1, 0, 1], [-1, 0, 1, 2, -1]], fill: -1)
    XCTAssertEqual(padded.fast, [-1, -1, -1, -1, -1, -1, 1, 2, 3, -1, -1, 4, 5, 6, -1])
    XCTAssertEqual(padded.fast, padded.expected)
    // A lower-rank input broadcast up (Expand [3] to [2, 3] reversed by a table).
    let expanded = try run([7, 8, 9], shape: [3], [[0, 0], [2, 1, 0]])
    XCTAssertEqual(expanded.fast, [9, 8, 7, 9, 8, 7])
    XCTAssertEqual(expanded.fast, expanded.expected)
    // Rank 0: one element.
    XCTAssertEqual(try run([4], shape: [], []).fast, [4])
    // A position past the axis: the reference refuses it (the fast kernel trusts plan validation,
    // which refuses such a table, so it is not run on one: it would read past the input).
    var out = [Float](repeating: 0, count: 2)
    XCTAssertThrowsError(try Reference.indexCopy(x, shape: [2, 3], sources: [[0, 2], [0]], fill: 0, output: &out))
  }

  func testIndexCopyMatchesReferenceAtRandom() throws {
    var rng = SeededRandom(seed: 21)
    let shape = [2, 3, 5, 4]
    let x = rng.floats(shape.reduce(1, *))
    for trial in 0..<40 {
      let sources = shape.map { size in
        (0..<(1 + Int(rng.next() % 7))).map { _ in Int(rng.next() % UInt64(size + 1)) - 1 }
      }
      let (fast, expected) = try run(x, shape: shape, sources, fill: Float(trial))
      assertIdentical(fast, expected, "trial \(trial): \(sources)")
    }
  }

  func testResizeMatchesReference() throws {
    var rng = SeededRandom(seed: 22)
    let shape = [3, 4, 5]
    let x = rng.floats(shape.reduce(1, *))
    /// `count` output positions of `taps` random input positions and weights each.
    func axis(_ count: Int, _ size: Int, taps: Int) -> ResizeAxis {
      ResizeAxis(
        taps: taps, positions: (0..<count * taps).map { _ in Int(rng.next() % UInt64(size)) },
        weights: rng.floats(count * taps, -0.5, 1.5))
    }
    // Widths past 16 take the 16-column vectors and a tail.
    for (height, width) in [(8, 10), (2, 3), (4, 5), (1, 1), (7, 37)] {
      for (rowTaps, columnTaps) in [(2, 2), (4, 4), (1, 4), (6, 2)] {
        let rows = axis(height, 4, taps: rowTaps), columns = axis(width, 5, taps: columnTaps)
        var fast = [Float](repeating: .nan, count: 3 * height * width), expected = fast
        var threaded = fast, rowByRow = fast
        Kernels.resize(x, inputDims: shape, rows: rows, columns: columns, output: &fast)
        Kernels.resize(x, inputDims: shape, rows: rows, columns: columns, output: &threaded, pool: Self.pool)
        // As if every input row's blend would not fit its budget.
        Kernels.resize(x, inputDims: shape, rows: rows, columns: columns, output: &rowByRow, pool: Self.pool, cacheFloats: 0)
        Reference.resize(x, shape: shape, axes: [ResizeAxis(identity: 3), rows, columns], output: &expected)
        assertIdentical(fast, expected, "\(height)x\(width), \(rowTaps)x\(columnTaps) taps")
        assertIdentical(threaded, expected, "\(height)x\(width), \(rowTaps)x\(columnTaps) taps, 2 threads")
        assertIdentical(rowByRow, expected, "\(height)x\(width), \(rowTaps)x\(columnTaps) taps, row by row")
      }
    }
    // By hand: one row [0, 10] doubled with half-way weights, then through four taps.
    var y = [Float](repeating: 0, count: 3)
    Kernels.resize(
      [0, 10], inputDims: [2], rows: ResizeAxis(identity: 1), columns: ResizeAxis.linear(low: [0, 0, 1], high: [0, 1, 1], weights: [0, 0.25, 0]),
      output: &y)
    XCTAssertEqual(y, [0, 2.5, 10])
    var z = [Float](repeating: 0, count: 1)
    Kernels.resize(
      [1, 2, 4], inputDims: [3], rows: ResizeAxis(identity: 1),
      columns: ResizeAxis(taps: 4, positions: [0, 0, 1, 2], weights: [-0.5, 1, 0.25, 0.5]), output: &z)
    XCTAssertEqual(z, [-0.5 + 1 + 0.5 + 2])
  }
}
