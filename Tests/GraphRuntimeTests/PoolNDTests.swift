import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// The N-D pools (the plan's 3-D and wider ones): the fast kernel bit for bit against the
/// reference, and the N-D reference against the 2-D one.
final class PoolNDTests: XCTestCase {
  /// Parameters whose output sizes follow the window (with `ceil`), into channels 1..<1+C of C+2.
  static func parameters(
    _ kind: PoolKind, batch: Int = 2, channels: Int = 3, inSizes: [Int], kernel: [Int], strides: [Int]? = nil,
    dilations: [Int]? = nil, padsBegin: [Int]? = nil, padsEnd: [Int]? = nil, ceil: Bool = false, includePad: Bool = false
  ) -> PoolNDParameters {
    let window = WindowND(kernel: kernel, strides: strides, dilations: dilations, padsBegin: padsBegin, padsEnd: padsEnd)
    let outSizes = inSizes.indices.map { window.outputExtent(axis: $0, input: inSizes[$0], ceilMode: ceil) }
    return PoolNDParameters(
      kind: kind, geometry: PoolNDGeometry(channels: channels, inSizes: inSizes, outSizes: outSizes, window: window),
      countIncludePad: includePad, batch: batch, outputChannelOffset: 1, outputTotalChannels: channels + 2)
  }

  /// The fast kernel on 1 and 2 threads, bit for bit against the reference over the whole
  /// destination (the other channels must keep their sentinel).
  func assertFastMatchesReference(_ p: PoolNDParameters, input: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertNoThrow(try p.validate(), message, file: file, line: line)
    var expected = [Float](repeating: 99, count: p.outputTensorCount)
    Reference.poolND(p, input: input, output: &expected)
    for threads in [1, 2] {
      var fast = [Float](repeating: 99, count: p.outputTensorCount)
      Kernels.poolND(p, input: input, output: &fast, pool: threads == 1 ? nil : ThreadPool(threads: threads))
      assertIdentical(fast, expected, "\(message), \(threads) threads", file: file, line: line)
    }
  }

  func testThreeDimensionalMatchesReference() {
    var rng = SeededRandom(seed: 3)
    for kind in [PoolKind.max, .average] {
      for includePad in kind == .average ? [false, true] : [false] {
        let cases = [
          Self.parameters(kind, inSizes: [4, 5, 6], kernel: [2, 2, 2], includePad: includePad),
          Self.parameters(
            kind, inSizes: [7, 8, 19], kernel: [3, 2, 3], strides: [2, 1, 2], padsBegin: [1, 0, 1], padsEnd: [1, 1, 0],
            ceil: true, includePad: includePad),
          Self.parameters(
            kind, batch: 1, inSizes: [9, 6, 17], kernel: [2, 3, 3], strides: [3, 2, 3], dilations: [3, 2, 2], padsBegin: [0, 2, 1],
            padsEnd: [2, 1, 2], ceil: true, includePad: includePad),
          // Padding as wide as the window: windows entirely in the leading padding.
          Self.parameters(kind, batch: 1, channels: 2, inSizes: [2, 3, 2], kernel: [2, 2, 2], padsBegin: [2, 2, 2], padsEnd: [1, 0, 1], includePad: includePad),
          // Rows wide enough for the vector loads: stride 1, 2 and 3 along the last axis.
          Self.parameters(
            kind, inSizes: [3, 4, 23], kernel: [2, 2, 3], padsBegin: [1, 0, 1], padsEnd: [0, 1, 1], includePad: includePad),
          Self.parameters(kind, inSizes: [3, 5, 41], kernel: [2, 3, 3], strides: [1, 2, 2], padsBegin: [0, 1, 1], padsEnd: [1, 1, 0], ceil: true, includePad: includePad),
          Self.parameters(kind, batch: 1, inSizes: [2, 3, 47], kernel: [1, 2, 4], strides: [1, 1, 3], dilations: [1, 1, 2], includePad: includePad),
          // Four spatial axes.
          Self.parameters(kind, inSizes: [3, 4, 5, 6], kernel: [2, 2, 2, 3], strides: [1, 2, 1, 2], padsBegin: [1, 0, 0, 1], padsEnd: [0, 1, 1, 1], includePad: includePad),
        ]
        for (i, p) in cases.enumerated() {
          assertFastMatchesReference(p, input: rng.floats(p.inputCount), "\(kind) case \(i) include pad \(includePad)")
        }
      }
    }
  }

  /// Max keeps the reference's rule for NaN (a window holding NaN yields NaN) and -inf.
  /// Zeros of either sign and -inf make ties and all-(-inf) windows common, in the vector lanes too.
  func testMaxPoolSpecialValuesMatchReference() {
    var rng = SeededRandom(seed: 5)
    for stride in [1, 2, 3] {
      let p = Self.parameters(
        .max, inSizes: [5, 6, 37], kernel: [3, 2, 3], strides: [2, 2, stride], padsBegin: [1, 1, 1], padsEnd: [1, 1, 1], ceil: true)
      var input: [Float] = (0..<p.inputCount).map { _ in [Float(0), -0.0, -Float.infinity, rng.float()][Int(rng.next() % 4)] }
      for _ in 0..<12 { input[Int(rng.next() % UInt64(input.count))] = [Float.nan, Float(bitPattern: 0x7FC0_1234)][Int(rng.next() % 2)] }
      assertFastMatchesReference(p, input: input, "special values, stride \(stride)")
    }
  }

  /// A hand-checked 2x2x2 average with the padding counted, and without.
  func testAverageDivisorsByHand() {
    // One channel 2x2x2 of ones, kernel 2, pad 1 at the start of each axis: the first window
    // holds one input, the last all eight.
    for (includePad, first) in [(true, Float(1) / 8), (false, 1)] {
      var p = Self.parameters(.average, batch: 1, channels: 1, inSizes: [2, 2, 2], kernel: [2, 2, 2], padsBegin: [1, 1, 1], padsEnd: [0, 0, 0], includePad: includePad)
      p.outputChannelOffset = 0
      p.outputTotalChannels = 1
      var out = [Float](repeating: 0, count: p.outputTensorCount)
      Kernels.poolND(p, input: [Float](repeating: 1, count: 8), output: &out)
      XCTAssertEqual(out.count, 8)
      XCTAssertEqual(out[0], first)
      XCTAssertEqual(out[7], 1)
      // Window (0, 1, 1) covers 4 inputs of 8 places.
      XCTAssertEqual(out[3], includePad ? Float(4) / 8 : 1)
    }
  }

  /// Over two axes the N-D reference is the 2-D reference, bit for bit.
  func testReferenceOverTwoAxesIsTheTwoDimensionalReference() {
    var rng = SeededRandom(seed: 9)
    for kind in [PoolKind.max, .average] {
      for includePad in [false, true] {
        let oh = Window2D.outputExtent(input: 9, kernel: 3, stride: 2, padBegin: 1, padEnd: 2, dilation: 1, ceilMode: true)
        let ow = Window2D.outputExtent(input: 13, kernel: 2, stride: 3, padBegin: 0, padEnd: 1, dilation: 2, ceilMode: true)
        let p = Pool2DParameters(
          kind: kind, batch: 2, channels: 3, inHeight: 9, inWidth: 13, kernelHeight: 3, kernelWidth: 2, strideHeight: 2,
          strideWidth: 3, padTop: 1, padLeft: 0, padBottom: 2, padRight: 1, dilationHeight: 1, dilationWidth: 2,
          outHeight: oh, outWidth: ow, countIncludePad: includePad, outputChannelOffset: 1, outputTotalChannels: 5)
        let input = rng.floats(p.inputCount)
        var twoD = [Float](repeating: 7, count: p.outputTensorCount), nD = twoD
        Reference.pool2d(p, input: input, output: &twoD)
        Reference.poolND(PoolNDParameters(p), input: input, output: &nD)
        assertIdentical(nD, twoD, "\(kind) include pad \(includePad)")
      }
    }
  }

  func testGeometryValidation() {
    var p = Self.parameters(.max, inSizes: [4, 4, 4], kernel: [2, 2, 2], strides: [2, 2, 2])
    XCTAssertNoThrow(try p.validate())
    p.geometry.outSizes = [2, 2, 5]
    XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("start beyond the input"), "\($0)") }
    p.geometry.outSizes = [2, 2]
    XCTAssertThrowsError(try p.validate())
  }
}
