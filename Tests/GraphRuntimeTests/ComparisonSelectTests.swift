import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// The comparison, logic and fmod binary operators and the select kernel against the reference
/// kernels: every broadcast shape of the binary tests, NaN on both sides, 1 and 2 threads.
final class ComparisonSelectTests: XCTestCase {
  static let comparisons: [BinaryOp] = [.equal, .less, .greater, .lessOrEqual, .greaterOrEqual, .and, .or, .xor, .fmod]

  /// Operands drawn from few values so that equal pairs are common, with a NaN each side, a
  /// zero and a negative zero; logic on 0/1 values and on other non-zero floats alike.
  func testComparisonsMatchReference() throws {
    var rng = SeededRandom(seed: 21)
    let pool = ThreadPool(threads: 2)
    for (aShape, bShape) in FastElementwiseTests.broadcastCases {
      var a = rng.floats(aShape.reduce(1, *), -3, 3).map { $0.rounded() }, b = rng.floats(bShape.reduce(1, *), -3, 3).map { $0.rounded() }
      if a.count > 3 { (a[1], a[2]) = (Float.nan, -0.0) }
      if b.count > 3 { (b[2], b[3]) = (Float.nan, 0) }
      let count = try Reference.broadcastShape(aShape, bShape).reduce(1, *)
      for op in Self.comparisons {
        var expected = [Float](repeating: 0, count: count), one = expected, two = expected
        try Reference.binary(op, a: a, aShape: aShape, b: b, bShape: bShape, output: &expected)
        try Kernels.binary(op, a: a, aShape: aShape, b: b, bShape: bShape, output: &one)
        try Kernels.binary(op, a: a, aShape: aShape, b: b, bShape: bShape, output: &two, pool: pool)
        assertIdentical(one, expected, "\(op) \(aShape) \(bShape)")
        assertIdentical(two, expected, "\(op) \(aShape) \(bShape) on 2 threads")
        if op != .fmod { XCTAssertTrue(one.allSatisfy { $0 == 0 || $0 == 1 }, "\(op) gives 0/1") }
      }
    }
  }

  /// The ONNX semantics spelled out: NaN compares false (and is true as a logic operand), fmod has
  /// the dividend's sign.
  func testByHand() throws {
    let a: [Float] = [1, .nan, 2, -0.0, .nan, -7], b: [Float] = [1, 1, 3, 0, .nan, 3]
    func run(_ op: BinaryOp) throws -> [Float] {
      var out = [Float](repeating: -1, count: 6)
      try Kernels.binary(op, a: a, aShape: [6], b: b, bShape: [6], output: &out)
      return out
    }
    XCTAssertEqual(try run(.equal), [1, 0, 0, 1, 0, 0])
    XCTAssertEqual(try run(.less), [0, 0, 1, 0, 0, 1])
    XCTAssertEqual(try run(.greaterOrEqual), [1, 0, 0, 1, 0, 0])
    XCTAssertEqual(try run(.and), [1, 1, 1, 0, 1, 1])
    XCTAssertEqual(try run(.xor), [0, 0, 0, 0, 0, 0])
    XCTAssertEqual(try run(.fmod)[0...3].map { $0.isNaN ? 99 : $0 }, [0, 99, 2, 99])
    XCTAssertEqual(try run(.fmod)[5], -1)
  }

  /// Three-operand shapes: all equal, a mask against rows, scalar fills either side, a condition
  /// that is constant along long rows, broadcasts in every operand, rank 6.
  static let selectCases: [([Int], [Int], [Int])] = [
    ([2, 3, 7, 13], [2, 3, 7, 13], [2, 3, 7, 13]), ([2, 3, 7, 13], [2, 3, 7, 13], []), ([2, 3, 7, 13], [], [2, 3, 7, 13]),
    ([7, 13], [2, 3, 7, 13], [1]), ([2, 3, 1, 1], [2, 3, 7, 13], [2, 3, 7, 13]), ([2, 1, 7, 1], [1, 3, 1, 13], [2, 3, 7, 1]),
    ([4, 1], [4, 70_000], [70_000]), ([], [], []), ([1, 2, 1, 2, 1, 2], [2, 1, 3, 1, 2, 1], [2]), ([3, 50_000], [3, 50_000], []),
  ]

  func testSelectMatchesReference() throws {
    var rng = SeededRandom(seed: 22)
    let pool = ThreadPool(threads: 2)
    for (cShape, xShape, yShape) in Self.selectCases {
      var c = rng.floats(cShape.reduce(1, *)).map { $0 < 0 ? Float(0) : 1 }
      if c.count > 2 { c[1] = 0.5 }  // any non-zero is true
      var x = rng.floats(xShape.reduce(1, *)), y = rng.floats(yShape.reduce(1, *)).map { $0 + 10 }
      if x.count > 2 { x[0] = .nan }
      if y.count > 2 { y[1] = -.infinity }
      let shape = try Reference.broadcastShape(try Reference.broadcastShape(cShape, xShape), yShape)
      var expected = [Float](repeating: 0, count: shape.reduce(1, *)), one = expected, two = expected
      try Reference.select(condition: c, conditionShape: cShape, x: x, xShape: xShape, y: y, yShape: yShape, output: &expected)
      XCTAssertEqual(try Kernels.select(condition: c, conditionShape: cShape, x: x, xShape: xShape, y: y, yShape: yShape, output: &one), shape)
      try Kernels.select(condition: c, conditionShape: cShape, x: x, xShape: xShape, y: y, yShape: yShape, output: &two, pool: pool)
      assertIdentical(one, expected, "select \(cShape) \(xShape) \(yShape)")
      assertIdentical(two, expected, "select \(cShape) \(xShape) \(yShape) on 2 threads")
    }
    var out = [Float](repeating: 0, count: 6)
    try Reference.select(condition: [1, 0, 1], conditionShape: [3], x: [1, 2], xShape: [2, 1], y: [9], yShape: [], output: &out)
    XCTAssertEqual(out, [1, 9, 1, 2, 9, 2])
    XCTAssertThrowsError(try Kernels.select(condition: [1], conditionShape: [2], x: [1], xShape: [3], y: [1], yShape: [], output: &out))
  }
}
