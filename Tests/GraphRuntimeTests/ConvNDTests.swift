import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// The N-D convolution (the plan's 3-D and wider convs): the fast im2col GEMM against the
/// reference, and the N-D reference against the 2-D one.
final class ConvNDTests: XCTestCase {
  static let pool = ThreadPool(threads: 2)

  static func parameters(
    batch: Int, inChannels: Int, inSizes: [Int], outChannels: Int, kernel: [Int], strides: [Int]? = nil,
    dilations: [Int]? = nil, padsBegin: [Int]? = nil, padsEnd: [Int]? = nil, groups: Int = 1, slice: (offset: Int, total: Int)? = nil
  ) -> ConvNDParameters {
    let window = WindowND(kernel: kernel, strides: strides, dilations: dilations, padsBegin: padsBegin, padsEnd: padsEnd)
    return ConvNDParameters(
      geometry: ConvNDGeometry(inChannels: inChannels, inSizes: inSizes, outChannels: outChannels, window: window, groups: groups),
      batch: batch, outputChannelOffset: slice?.offset ?? 0, outputTotalChannels: slice?.total)
  }

  /// Runs the reference and the fast conv (1 and 2 threads, weights as given and packed) into
  /// sentinel-filled destinations and compares the whole destination tensor.
  func check(_ p: ConvNDParameters, _ epilogueCase: EpilogueCase, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertNoThrow(try p.validate(), file: file, line: line)
    var rng = SeededRandom(seed: seed)
    let g = p.geometry
    let input = rng.floats(p.inputCount)
    let weights = rng.floats(g.weightCount)
    let bias = epilogueCase.hasBias ? rng.floats(g.outChannels) : nil
    let residual = epilogueCase.hasResidual ? rng.floats(p.batch * g.outputCountPerItem) : nil
    let sentinel: Float = 1234.5
    var expected = [Float](repeating: sentinel, count: p.outputTensorCount)
    var fast1 = expected, fast2 = expected, packed = expected
    let panels = weights.withUnsafeBufferPointer { GemmPanels.packConv($0, g) }
    XCTAssertEqual(panels.count, g.packedWeightCount, file: file, line: line)
    withEpilogue(bias: bias, residual: residual, activation: epilogueCase.activation) { epilogue in
      Reference.convND(p, input: input, weights: weights, epilogue: epilogue, output: &expected)
      Kernels.convND(p, input: input, weights: weights, epilogue: epilogue, output: &fast1)
      Kernels.convND(p, input: input, weights: weights, epilogue: epilogue, output: &fast2, pool: Self.pool)
      var workspace = [Float](repeating: .nan, count: Kernels.convNDWorkspaceCount(g))
      Kernels.convND(
        p, input: input, weights: panels, weightLayout: .gemmPanels, epilogue: epilogue, output: &packed, workspace: &workspace,
        pool: Self.pool)
    }
    let k = Float(g.depthPerGroup)
    assertClose(fast1, expected, atol: 1e-5 * k, rtol: 1e-4, "\(p) \(epilogueCase)", file: file, line: line)
    assertIdentical(fast2, fast1, "threads 1 vs 2", file: file, line: line)
    assertIdentical(packed, fast1, "packed vs [M, C, kernel...] weights", file: file, line: line)
    // The destination's other channels stay untouched.
    let volume = g.outVolume
    for n in 0..<p.batch {
      for c in 0..<p.outputTotalChannels where c < p.outputChannelOffset || c >= p.outputChannelOffset + g.outChannels {
        let start = (n * p.outputTotalChannels + c) * volume
        XCTAssertTrue(fast1[start..<(start + volume)].allSatisfy { $0 == sentinel }, "channel \(c) written", file: file, line: line)
      }
    }
  }

  func testThreeDimensionalMatchesReference() {
    let cases: [(ConvNDParameters, EpilogueCase)] = [
      // Plain 3x3x3, batch 2.
      (Self.parameters(batch: 2, inChannels: 3, inSizes: [5, 6, 7], outChannels: 4, kernel: [3, 3, 3]), .plain),
      // Uneven pads, strides and dilations per axis, bias and relu.
      (Self.parameters(
        batch: 3, inChannels: 4, inSizes: [7, 9, 20], outChannels: 5, kernel: [2, 3, 3], strides: [2, 1, 3],
        dilations: [1, 2, 2], padsBegin: [1, 0, 2], padsEnd: [0, 2, 1]), .biasRelu),
      // Groups, a residual and clip, into channels 2..<8 of 11.
      (Self.parameters(
        batch: 2, inChannels: 6, inSizes: [4, 5, 18], outChannels: 6, kernel: [3, 1, 3], padsBegin: [1, 0, 1], padsEnd: [1, 0, 1],
        groups: 3, slice: (2, 11)), .residualClip),
      // Depthwise with everything: one input and one output channel per group.
      (Self.parameters(
        batch: 2, inChannels: 4, inSizes: [6, 6, 6], outChannels: 4, kernel: [3, 3, 3], strides: [2, 2, 2],
        padsBegin: [1, 1, 1], padsEnd: [1, 1, 1], groups: 4), .all),
      // Padding wider than the kernel: whole windows of zeros at the edges.
      (Self.parameters(
        batch: 1, inChannels: 2, inSizes: [3, 3, 3], outChannels: 3, kernel: [2, 2, 2], padsBegin: [3, 2, 3], padsEnd: [2, 3, 3]), .bias),
      // Four spatial axes: the same code serves any rank.
      (Self.parameters(
        batch: 2, inChannels: 3, inSizes: [3, 4, 5, 6], outChannels: 4, kernel: [2, 2, 3, 3], strides: [1, 2, 1, 2],
        padsBegin: [0, 1, 1, 0], padsEnd: [1, 0, 1, 2], groups: 1), .all),
    ]
    for (i, (p, epilogue)) in cases.enumerated() { check(p, epilogue, seed: UInt64(100 + i)) }
  }

  /// An output larger than one GEMM's block of unfolded columns goes in several blocks.
  func testOutputInSeveralColumnBlocks() {
    // 152 * 27 rows: blocks of 256 columns, so 360 output positions take two.
    let p = Self.parameters(
      batch: 1, inChannels: 152, inSizes: [3, 10, 12], outChannels: 2, kernel: [3, 3, 3], padsBegin: [1, 1, 1], padsEnd: [1, 1, 1])
    XCTAssertEqual(Kernels.convNDColumnsPerGemm(p.geometry), 256)
    XCTAssertLessThan(Kernels.convNDColumnsPerGemm(p.geometry), p.geometry.outVolume)
    check(p, .all, seed: 7)
  }

  /// Over two axes the N-D reference sums in the 2-D reference's order: the same bits.
  func testReferenceOverTwoAxesIsTheTwoDimensionalReference() {
    let cases = [
      Conv2DParameters(
        batch: 2, inChannels: 4, inHeight: 9, inWidth: 11, outChannels: 6, kernelHeight: 3, kernelWidth: 2, strideHeight: 2,
        strideWidth: 1, padTop: 1, padLeft: 0, padBottom: 2, padRight: 1, dilationHeight: 1, dilationWidth: 3, groups: 2,
        outputChannelOffset: 1, outputTotalChannels: 9),
      Conv2DParameters(batch: 1, inChannels: 3, inHeight: 1, inWidth: 17, outChannels: 2, kernelHeight: 1, kernelWidth: 5, padLeft: 2, padRight: 2),
    ]
    for (i, p) in cases.enumerated() {
      var rng = SeededRandom(seed: UInt64(i))
      let input = rng.floats(p.inputCount), weights = rng.floats(p.geometry.weightCount), bias = rng.floats(p.geometry.outChannels)
      var twoD = [Float](repeating: 0, count: p.outputTensorCount), nD = twoD
      withEpilogue(bias: bias, residual: nil, activation: .relu) { epilogue in
        Reference.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &twoD)
        Reference.convND(ConvNDParameters(p), input: input, weights: weights, epilogue: epilogue, output: &nD)
      }
      assertIdentical(nD, twoD, "case \(i)")
    }
  }

  func testGeometryValidation() {
    let good = Self.parameters(batch: 1, inChannels: 4, inSizes: [3, 3, 3], outChannels: 4, kernel: [2, 2, 2])
    XCTAssertEqual(good.geometry.outSizes, [2, 2, 2])
    var bad = good
    bad.geometry.groups = 3
    XCTAssertThrowsError(try bad.validate())
    bad = good
    bad.geometry.window.kernel = [4, 2, 2]
    XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("empty output")) }
    bad = good
    bad.geometry.window.padsEnd = [0, 0]
    XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("window lists")) }
    bad = good
    bad.geometry.inSizes = [3, 3]
    XCTAssertThrowsError(try bad.validate())
  }
}
