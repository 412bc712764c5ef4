import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// The transposed convolution: the reference against a worked example, and the fast GEMM +
/// col2im kernel against the reference over many shapes, at 1 and 2 threads, weights as ONNX
/// gives them and packed.
final class ConvTransposeTests: XCTestCase {
  static let pool = ThreadPool(threads: 2)

  /// A geometry whose output sizes follow ONNX's formula from the pads and output padding.
  static func geometry(
    inChannels: Int, inSizes: [Int], outChannels: Int, kernel: [Int], strides: [Int]? = nil, dilations: [Int]? = nil,
    padsBegin: [Int]? = nil, padsEnd: [Int]? = nil, outputPadding: [Int]? = nil, groups: Int = 1
  ) -> ConvTransposeGeometry {
    let r = kernel.count, ones = [Int](repeating: 1, count: r), zeros = [Int](repeating: 0, count: r)
    let (s, d, pb, pe, op) = (strides ?? ones, dilations ?? ones, padsBegin ?? zeros, padsEnd ?? zeros, outputPadding ?? zeros)
    let outSizes = (0..<r).map {
      ConvTransposeGeometry.outputSize(
        input: inSizes[$0], kernel: kernel[$0], stride: s[$0], dilation: d[$0], padBegin: pb[$0], padEnd: pe[$0], outputPadding: op[$0])
    }
    return ConvTransposeGeometry(
      inChannels: inChannels, inSizes: inSizes, outChannels: outChannels, outSizes: outSizes, kernel: kernel, strides: s,
      dilations: d, padsBegin: pb, groups: groups)
  }

  /// Runs the reference and the fast kernel (1 and 2 threads, weights as given and packed, a
  /// NaN-filled workspace) and compares them.
  func check(
    _ g: ConvTransposeGeometry, batch: Int = 1, bias hasBias: Bool = true, activation: Activation = .none, seed: UInt64,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertNoThrow(try g.validate(), file: file, line: line)
    var rng = SeededRandom(seed: seed)
    let input = rng.floats(batch * g.inputCountPerItem)
    let weights = rng.floats(g.weightCount)
    let bias = hasBias ? rng.floats(g.outChannels) : nil
    let count = batch * g.outputCountPerItem
    var expected = [Float](repeating: 1234.5, count: count)
    var fast1 = expected, fast2 = expected, packed = expected
    let panels = weights.withUnsafeBufferPointer { g.packedWeights($0) }
    XCTAssertEqual(panels.count, g.packedWeightCount, file: file, line: line)
    withEpilogue(bias: bias, residual: nil, activation: activation) { e in
      Reference.convTranspose(g, batch: batch, input: input, weights: weights, bias: e.bias, activation: activation, output: &expected)
      Kernels.convTranspose(g, batch: batch, input: input, weights: weights, bias: e.bias, activation: activation, output: &fast1)
      Kernels.convTranspose(
        g, batch: batch, input: input, weights: weights, bias: e.bias, activation: activation, output: &fast2, pool: Self.pool)
      var workspace = [Float](repeating: .nan, count: Kernels.convTransposeWorkspaceCount(g))
      Kernels.convTranspose(
        g, batch: batch, input: input, weights: panels, weightLayout: .gemmPanels, bias: e.bias, activation: activation,
        output: &packed, workspace: &workspace, pool: Self.pool)
    }
    let terms = Float(g.inChannelsPerGroup * g.taps)
    assertClose(fast1, expected, atol: 1e-5 * terms, rtol: 1e-4, "\(g)", file: file, line: line)
    assertIdentical(fast2, fast1, "threads 1 vs 2", file: file, line: line)
    assertIdentical(packed, fast1, "packed vs [C, M/g, kernel...] weights", file: file, line: line)
  }

  /// The example of the ONNX operator documentation: a 3x3 ramp through a 3x3 window of ones
  /// into 2 channels of 5x5 (each output the sum of the inputs whose window covers it).
  func testReferenceMatchesTheONNXExample() {
    let g = Self.geometry(inChannels: 1, inSizes: [3, 3], outChannels: 2, kernel: [3, 3])
    XCTAssertEqual(g.outSizes, [5, 5])
    let x = (0..<9).map(Float.init), w = [Float](repeating: 1, count: 18)
    var out = [Float](repeating: 0, count: 50)
    Reference.convTranspose(g, batch: 1, input: x, weights: w, output: &out)
    let plane: [Float] = [0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8]
    XCTAssertEqual(out, plane + plane)
  }

  /// Stride 3x2 with pads 1,2 / 2,1 (the ONNX `pads` test): the window arithmetic crops the ends.
  func testReferenceCropsPadsAndLeavesUnreachedPositionsAtTheBias() {
    // One input value, stride 2, begin pad -1 (an output_shape one larger): output 0 is reached by no tap.
    let g = ConvTransposeGeometry(inChannels: 1, inSizes: [1], outChannels: 1, outSizes: [4], kernel: [2], strides: [2], padsBegin: [-1])
    var out = [Float](repeating: 0, count: 4)
    let bias: [Float] = [0.5]
    Reference.convTranspose(g, batch: 1, input: [2], weights: [3, 4], bias: bias, output: &out)
    XCTAssertEqual(out, [0.5, 6.5, 8.5, 0.5])
    check(g, seed: 1)
  }

  func testTwoDimensionalShapesMatchReference() {
    check(Self.geometry(inChannels: 3, inSizes: [5, 6], outChannels: 4, kernel: [3, 3]), seed: 2)
    // The decoder's upsampling: kernel 4, stride 2, pad 1 doubles the size.
    check(Self.geometry(inChannels: 8, inSizes: [7, 9], outChannels: 5, kernel: [4, 4], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1]), seed: 3)
    check(Self.geometry(inChannels: 6, inSizes: [4, 5], outChannels: 7, kernel: [2, 2], strides: [2, 2]), bias: false, seed: 4)
    // Groups, unequal strides, dilation, asymmetric pads and output padding.
    check(
      Self.geometry(
        inChannels: 4, inSizes: [5, 4], outChannels: 6, kernel: [3, 2], strides: [2, 3], dilations: [2, 1], padsBegin: [1, 0],
        padsEnd: [0, 2], outputPadding: [1, 2], groups: 2), seed: 5)
    // Depthwise (one channel per group), batch 2, fused ReLU and clip.
    check(Self.geometry(inChannels: 5, inSizes: [6, 6], outChannels: 5, kernel: [3, 3], strides: [2, 2], padsBegin: [1, 1], groups: 5),
      batch: 2, activation: .relu, seed: 6)
    check(Self.geometry(inChannels: 4, inSizes: [3, 7], outChannels: 6, kernel: [3, 3], strides: [1, 2], padsEnd: [2, 0], outputPadding: [0, 1], groups: 2),
      batch: 2, activation: .clip(min: -0.5, max: 0.75), seed: 7)
    // Pads larger than the kernel reach: some taps land nowhere.
    check(Self.geometry(inChannels: 2, inSizes: [6, 5], outChannels: 3, kernel: [2, 2], strides: [3, 3], padsBegin: [3, 1], padsEnd: [2, 4]), seed: 8)
  }

  /// Input blocks that split the GEMM's columns mid-row (`M/g * taps` = 1024 rows: 1024 positions a block).
  func testColumnBlocksSplitInsideARow() {
    let g = Self.geometry(inChannels: 2, inSizes: [37, 41], outChannels: 64, kernel: [4, 4], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1])
    XCTAssertEqual(Kernels.convTransposeColumnsPerGemm(g), 1024)
    XCTAssertLessThan(Kernels.convTransposeColumnsPerGemm(g), g.inVolume)
    check(g, activation: .relu, seed: 9)
  }

  func testOneAndThreeDimensionalMatchReference() {
    check(Self.geometry(inChannels: 3, inSizes: [11], outChannels: 4, kernel: [5], strides: [3], padsBegin: [2], padsEnd: [1], outputPadding: [2]), seed: 10)
    check(Self.geometry(inChannels: 4, inSizes: [9], outChannels: 2, kernel: [3], dilations: [2], groups: 2), batch: 2, seed: 11)
    check(Self.geometry(inChannels: 2, inSizes: [3, 4, 5], outChannels: 3, kernel: [3, 2, 3], strides: [2, 1, 2], padsBegin: [1, 0, 1], padsEnd: [0, 1, 1]), seed: 12)
    check(
      Self.geometry(inChannels: 4, inSizes: [2, 3, 3], outChannels: 4, kernel: [2, 2, 2], strides: [2, 2, 2], dilations: [1, 2, 1],
        outputPadding: [1, 1, 0], groups: 2), batch: 2, activation: .relu, seed: 13)
  }

  func testValidationRefusesBadGeometries() {
    let good = Self.geometry(inChannels: 4, inSizes: [5, 5], outChannels: 6, kernel: [3, 3], groups: 2)
    XCTAssertNoThrow(try good.validate())
    var bad = good
    bad.groups = 3
    XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("groups 3 does not divide"), "\($0)") }
    bad = good
    bad.strides = [0, 1]
    XCTAssertThrowsError(try bad.validate())
    bad = good
    bad.outSizes = [5]
    XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("lists of different lengths"), "\($0)") }
    bad = good
    bad.inSizes = [1 << 30, 1 << 30]
    XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("overflow"), "\($0)") }
  }
}
