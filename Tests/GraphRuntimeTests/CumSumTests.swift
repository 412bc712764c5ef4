import GraphPlan
import GraphReference
import TestSupport
import XCTest

@testable import GraphRuntime

/// The running-sum kernel against values worked out by hand and against the reference, bit for bit.
final class CumSumTests: XCTestCase {
  func testByHand() {
    let x: [Float] = [1, 2, 3, 4]
    let cases: [(exclusive: Bool, reverse: Bool, want: [Float])] = [
      (false, false, [1, 3, 6, 10]), (true, false, [0, 1, 3, 6]), (false, true, [10, 9, 7, 4]), (true, true, [9, 7, 4, 0]),
    ]
    for c in cases {
      var fast = [Float](repeating: .nan, count: 4), reference = fast
      Kernels.cumSum(x, shape: [4], axis: 0, exclusive: c.exclusive, reverse: c.reverse, output: &fast)
      Reference.cumSum(x, shape: [4], axis: 0, exclusive: c.exclusive, reverse: c.reverse, output: &reference)
      XCTAssertEqual(fast, c.want, "exclusive \(c.exclusive) reverse \(c.reverse)")
      XCTAssertEqual(reference, c.want, "reference, exclusive \(c.exclusive) reverse \(c.reverse)")
    }
  }

  /// Every axis of shapes whose trailing block is under, at and past 16 lanes, both flags, 1 and 2
  /// threads, and in place.
  func testMatchesReference() {
    let pool = ThreadPool(threads: 2)
    var rng = SeededRandom(seed: 5)
    for shape in [[3, 5, 7], [2, 4, 16], [5, 3, 37], [1, 40]] {
      let x = rng.floats(shape.reduce(1, *))
      for axis in shape.indices {
        for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
          let what = "shape \(shape) axis \(axis) exclusive \(exclusive) reverse \(reverse)"
          var reference = [Float](repeating: .nan, count: x.count)
          Reference.cumSum(x, shape: shape, axis: axis, exclusive: exclusive, reverse: reverse, output: &reference)
          for threads in [nil, pool] {
            var fast = [Float](repeating: .nan, count: x.count)
            Kernels.cumSum(x, shape: shape, axis: axis, exclusive: exclusive, reverse: reverse, output: &fast, pool: threads)
            XCTAssertEqual(fast.map(\.bitPattern), reference.map(\.bitPattern), what)
          }
          var inPlace = x
          inPlace.withUnsafeMutableBufferPointer { p in
            Kernels.cumSum(p.baseAddress!, shape: shape, axis: axis, exclusive: exclusive, reverse: reverse, output: p.baseAddress!)
          }
          XCTAssertEqual(inPlace.map(\.bitPattern), reference.map(\.bitPattern), "in place, \(what)")
        }
      }
    }
  }
}
