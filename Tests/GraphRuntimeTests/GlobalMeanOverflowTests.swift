import GraphPlan
import GraphReference
import TestSupport
import XCTest

@testable import GraphRuntime

/// Global average pooling (and ReduceMean, which lowers to it) of finite values whose mean is
/// finite gives that mean, even when a Float sum would overflow (docs/numerics.md).
final class GlobalMeanOverflowTests: XCTestCase {
  func testMeanOfValuesNearTheLargestFloatIsFinite() {
    let big = Float.greatestFiniteMagnitude
    // Plane sizes around the sixteen-lane loop and its tail; the second plane mixes signs.
    for spatial in [2, 3, 4, 7, 15, 16, 17, 49, 1000] {
      var input = [Float](repeating: big, count: spatial)
      input += (0..<spatial).map { $0 % 2 == 0 ? big : -big * 0.5 }
      let expected: [Float] = [big, Float((0..<spatial).reduce(0.0) { $0 + ($1 % 2 == 0 ? Double(big) : -Double(big) * 0.5) } / Double(spatial))]
      var reference = [Float](repeating: 0, count: 2), fast = reference, threaded = reference
      Reference.globalPool(.average, batch: 1, channels: 2, spatial: spatial, input: input, output: &reference)
      Kernels.globalPool(.average, batch: 1, channels: 2, spatial: spatial, input: input, output: &fast)
      Kernels.globalPool(.average, batch: 2, channels: 1, spatial: spatial, input: input, output: &threaded, pool: ThreadPool(threads: 2))
      XCTAssertEqual(reference, expected, "spatial \(spatial)")
      XCTAssertEqual(fast, expected, "spatial \(spatial)")
      XCTAssertEqual(threaded, expected, "spatial \(spatial)")
    }
  }

  /// NaN and infinities still come through: the mean of a plane with NaN is NaN, with +inf it is +inf.
  func testNaNAndInfinityPropagate() {
    let input: [Float] = [1, .nan, 2, 3, 1, .infinity, 2, 3, .infinity, -.infinity, 0, 0]
    var fast = [Float](repeating: 0, count: 3), reference = fast
    Kernels.globalPool(.average, batch: 1, channels: 3, spatial: 4, input: input, output: &fast)
    Reference.globalPool(.average, batch: 1, channels: 3, spatial: 4, input: input, output: &reference)
    for out in [fast, reference] {
      XCTAssertTrue(out[0].isNaN)
      XCTAssertEqual(out[1], .infinity)
      XCTAssertTrue(out[2].isNaN)
    }
  }
}
