import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// The runtime's LRN, softmax, transpose, global pooling and channel affine against the
/// reference kernels (separate code: neither calls the other).
final class NormalizationKernelTests: XCTestCase {
  func testLRNMatchesReference() {
    var rng = SeededRandom(seed: 21)
    let pool = ThreadPool(threads: 2)
    for (batch, channels, spatial, size) in [(1, 5, 1, 3), (2, 7, 13, 5), (1, 4, 9, 4), (2, 3, 6, 1), (1, 6, 5, 8)] {
      let x = rng.floats(batch * channels * spatial).map { $0 * 3 }
      var expected = [Float](repeating: 0, count: x.count), fast = expected
      Reference.lrn(x, batch: batch, channels: channels, spatial: spatial, size: size, alpha: 0.2, beta: 0.75, bias: 1.5, output: &expected)
      Kernels.lrn(x, batch: batch, channels: channels, spatial: spatial, size: size, alpha: 0.2, beta: 0.75, bias: 1.5, output: &fast, pool: pool)
      assertClose(fast, expected, atol: 1e-6, rtol: 1e-6, "lrn \(batch)x\(channels)x\(spatial) size \(size)")
    }
    // The hand-computed case of the reference test, through the runtime's kernel.
    var y = [Float](repeating: 0, count: 5)
    Kernels.lrn([1, 2, 3, 4, 5], batch: 1, channels: 5, spatial: 1, size: 4, alpha: 0.1, beta: 0.75, bias: 2, output: &y)
    assertClose(y, [0.52686470, 0.93654894, 1.2115397, 1.6525228, 2.1798468], atol: 1e-6, "size 4")
  }

  func testSoftmaxMatchesReference() throws {
    var rng = SeededRandom(seed: 22)
    let pool = ThreadPool(threads: 2)
    for (shape, axis) in [([10], 0), ([3, 7], 1), ([4, 5, 6], 1), ([2, 3, 4], 0), ([2, 9, 1], 2)] {
      let x = rng.floats(shape.reduce(1, *)).map { $0 * 20 }
      var expected = [Float](repeating: 0, count: x.count), fast = expected
      try Reference.softmax(x, shape: shape, axis: axis, output: &expected)
      Kernels.softmax(x, shape: shape, axis: axis, output: &fast, pool: pool)
      assertClose(fast, expected, atol: 1e-7, rtol: 1e-6, "softmax \(shape) axis \(axis)")
    }
    var out = [Float](repeating: 0, count: 3)
    Kernels.softmax([1000, 1000, -1000], shape: [3], axis: 0, output: &out)
    XCTAssertEqual(out, [0.5, 0.5, 0])
  }

  func testTransposeMatchesReference() throws {
    var rng = SeededRandom(seed: 23)
    let cases: [([Int], [Int])] = [
      ([2, 3], [1, 0]), ([2, 3, 4], [2, 0, 1]), ([2, 3, 4], [0, 1, 2]), ([5], [0]), ([1, 4, 1, 3], [3, 2, 1, 0]),
      ([2, 1, 3, 2, 2, 3], [5, 4, 3, 2, 1, 0]), ([3, 2, 2, 2], [0, 2, 3, 1]), ([], []),
    ]
    for (shape, perm) in cases {
      let x = rng.floats(shape.reduce(1, *))
      var expected = [Float](repeating: 0, count: x.count), fast = [Float](repeating: -9, count: x.count)
      try Reference.transpose(x, shape: shape, perm: perm, output: &expected)
      Kernels.transpose(x, shape: shape, perm: perm, output: &fast)
      XCTAssertEqual(fast, expected, "transpose \(shape) by \(perm)")
    }
  }

  func testGlobalPoolAndChannelAffineMatchReference() {
    var rng = SeededRandom(seed: 24)
    let pool = ThreadPool(threads: 2)
    var x = rng.floats(2 * 5 * 49)
    x[60] = .nan
    for kind in [PoolKind.max, .average] {
      var expected = [Float](repeating: 0, count: 10), fast = expected
      Reference.globalPool(kind, batch: 2, channels: 5, spatial: 49, input: x, output: &expected)
      Kernels.globalPool(kind, batch: 2, channels: 5, spatial: 49, input: x, output: &fast, pool: pool)
      XCTAssertTrue(fast[1].isNaN && expected[1].isNaN, "NaN propagates (\(kind))")
      fast[1] = 0
      expected[1] = 0
      assertClose(fast, expected, atol: 1e-6, "global \(kind)")
    }
  }
}
