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

  /// Rows shorter and longer than a vector, an offset far larger than the spread (a one-pass
  /// variance would cancel), with and without bias; identical on 1 and 2 threads.
  func testLayerNormMatchesReference() {
    var rng = SeededRandom(seed: 24)
    let pool = ThreadPool(threads: 2)
    for (rows, length, offset) in [(1, 1, 0), (3, 5, 0), (7, 16, 2), (5, 37, 1000), (300, 96, -3)] as [(Int, Int, Float)] {
      let x = rng.floats(rows * length).map { $0 * 4 + offset }
      let scale = rng.floats(length).map { $0 + 1 }, bias = rng.floats(length)
      for withBias in [true, false] {
        var expected = [Float](repeating: 0, count: x.count), one = expected, two = expected
        bias.withUnsafeBufferPointer { bp in
          let b = withBias ? bp.baseAddress! : nil
          Reference.layerNormalization(x, rows: rows, length: length, epsilon: 1e-5, scale: scale, bias: b, output: &expected)
          Kernels.layerNorm(x, rows: rows, length: length, epsilon: 1e-5, scale: scale, bias: b, output: &one)
          Kernels.layerNorm(x, rows: rows, length: length, epsilon: 1e-5, scale: scale, bias: b, output: &two, pool: pool)
        }
        // Near 1000 a float32 mean is off by about 1e-4 of the spread (a one-pass variance, E[x²] - mean²,
        // would be off by 1e-2 there).
        let tolerance: Float = abs(offset) > 100 ? 1e-4 : 2e-5
        assertClose(one, expected, atol: tolerance, rtol: tolerance, "layer norm \(rows)x\(length) offset \(offset) bias \(withBias)")
        assertIdentical(two, one, "layer norm on 2 threads")
      }
    }
    // By hand: [1, 2, 3, 4] has mean 2.5 and variance 1.25.
    var y = [Float](repeating: 0, count: 4)
    Kernels.layerNorm([1, 2, 3, 4], rows: 1, length: 4, epsilon: 0, scale: [1, 1, 2, 2], bias: [0, 0, 0, 1], output: &y)
    assertClose(y, [-1.3416408, -0.4472136, 0.8944272, 3.6832816], atol: 1e-6, "by hand")
  }

  /// Normalization across channels at each position: positions fewer than, exactly and not a
  /// multiple of 16 (the partial vector), a large offset, with and without bias, several items;
  /// identical on 1 and 2 threads and in place.
  func testChannelNormMatchesReference() {
    var rng = SeededRandom(seed: 25)
    let pool = ThreadPool(threads: 2)
    for (items, channels, spatial, offset) in [(1, 1, 1, 0), (2, 3, 5, 0), (1, 7, 16, 2), (2, 37, 21, 1000), (1, 96, 3136, -3)]
      as [(Int, Int, Int, Float)]
    {
      let x = rng.floats(items * channels * spatial).map { $0 * 4 + offset }
      let scale = rng.floats(channels).map { $0 + 1 }, bias = rng.floats(channels)
      for withBias in [true, false] {
        var expected = [Float](repeating: 0, count: x.count), one = expected, two = expected, inPlace = x
        bias.withUnsafeBufferPointer { bp in
          let b = withBias ? bp.baseAddress! : nil
          Reference.channelNormalization(
            x, items: items, channels: channels, spatial: spatial, epsilon: 1e-5, scale: scale, bias: b, output: &expected)
          Kernels.channelNorm(x, items: items, channels: channels, spatial: spatial, epsilon: 1e-5, scale: scale, bias: b, output: &one)
          Kernels.channelNorm(
            x, items: items, channels: channels, spatial: spatial, epsilon: 1e-5, scale: scale, bias: b, output: &two, pool: pool)
          inPlace.withUnsafeMutableBufferPointer {
            Kernels.channelNorm(
              $0.baseAddress!, items: items, channels: channels, spatial: spatial, epsilon: 1e-5, scale: scale, bias: b,
              output: $0.baseAddress!, pool: pool)
          }
        }
        let tolerance: Float = abs(offset) > 100 ? 1e-4 : 2e-5
        let what = "channel norm \(items)x\(channels)x\(spatial) offset \(offset) bias \(withBias)"
        assertClose(one, expected, atol: tolerance, rtol: tolerance, what)
        assertIdentical(two, one, what + " on 2 threads")
        assertIdentical(inPlace, one, what + " in place")
      }
    }
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
