import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

final class ConvTests: XCTestCase {
  static let pool = ThreadPool(threads: 2)

  /// Runs reference and fast conv (1 and 2 threads) into sentinel-filled destinations
  /// and compares the whole destination tensor.
  func check(_ p: Conv2DParameters, _ epilogueCase: EpilogueCase, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertNoThrow(try p.validate(), file: file, line: line)
    var rng = SeededRandom(seed: seed)
    let input = rng.floats(p.inputCount)
    let weights = rng.floats(p.geometry.weightCount)
    let bias = epilogueCase.hasBias ? rng.floats(p.geometry.outChannels) : nil
    let residual = epilogueCase.hasResidual ? rng.floats(p.batch * p.geometry.outputCountPerItem) : nil
    let sentinel: Float = 1234.5
    var expected = [Float](repeating: sentinel, count: p.outputTensorCount)
    var fast1 = expected, fast2 = expected, packed = expected
    let panels = Self.panels(p.geometry, weights)
    withEpilogue(bias: bias, residual: residual, activation: epilogueCase.activation) { epilogue in
      Reference.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &expected)
      Kernels.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &fast1)
      Kernels.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &fast2, pool: Self.pool)
      if let panels {
        Kernels.conv2d(p, input: input, weights: panels, weightLayout: .gemmPanels, epilogue: epilogue, output: &packed, pool: Self.pool)
      }
    }
    let k = Float(p.geometry.inChannelsPerGroup * p.geometry.kernelHeight * p.geometry.kernelWidth)
    assertClose(fast1, expected, atol: 1e-5 * k, rtol: 1e-4, "\(p) \(epilogueCase)", file: file, line: line)
    assertIdentical(fast2, fast1, "threads 1 vs 2", file: file, line: line)
    // Weights packed at compile time feed the same tile with the same numbers.
    if panels != nil { assertIdentical(packed, fast1, "packed vs [M, C, KH, KW] weights", file: file, line: line) }
    // Each image gives the same bits alone as in the batch (images may share one GEMM).
    if p.batch > 1 {
      let one = Conv2DParameters(
        geometry: p.geometry, batch: 1, outputChannelOffset: p.outputChannelOffset, outputTotalChannels: p.outputTotalChannels)
      let inCount = one.inputCount, outCount = one.outputTensorCount, resCount = p.geometry.outputCountPerItem
      for n in 0..<p.batch {
        var alone = [Float](repeating: sentinel, count: outCount)
        let itemResidual = residual.map { Array($0[(n * resCount)..<((n + 1) * resCount)]) }
        withEpilogue(bias: bias, residual: itemResidual, activation: epilogueCase.activation) { epilogue in
          Kernels.conv2d(
            one, input: Array(input[(n * inCount)..<((n + 1) * inCount)]), weights: weights, epilogue: epilogue, output: &alone,
            pool: Self.pool)
        }
        assertIdentical(Array(fast1[(n * outCount)..<((n + 1) * outCount)]), alone, "image \(n) alone vs in the batch", file: file, line: line)
      }
    }
  }

  /// The weights as the compiler packs them (GEMM panels per group), or nil for a depthwise conv.
  static func panels(_ g: Conv2DGeometry, _ weights: [Float]) -> [Float]? {
    g.runsDepthwise ? nil : weights.withUnsafeBufferPointer { GemmPanels.packConv($0, g) }
  }

  /// Im2col convs pack the GEMM's panels straight from the images, with no workspace: whole
  /// 16-column panels inside a row load as vectors (stride 1, stride 2), panels across rows,
  /// images and the padding go lane by lane.
  func testIm2colPackedFromTheImage() {
    let cases = [
      // Stride 1, 47 columns: whole panels, then a run across rows.
      Conv2DParameters(
        batch: 2, inChannels: 9, inHeight: 12, inWidth: 47, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
        padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
      // Stride 1, 6 columns, pad 2: runs of 4 to 6 as overlapping vectors, clipped at the edges.
      Conv2DParameters(
        batch: 3, inChannels: 4, inHeight: 6, inWidth: 6, outChannels: 5, kernelHeight: 5, kernelWidth: 5,
        padTop: 2, padLeft: 2, padBottom: 2, padRight: 2),
      // Stride 2 (a stem): vector loads of the even taps, padding on the first and last panels.
      Conv2DParameters(
        batch: 2, inChannels: 3, inHeight: 40, inWidth: 40, outChannels: 13, kernelHeight: 7, kernelWidth: 7,
        strideHeight: 2, strideWidth: 2, padTop: 3, padLeft: 3, padBottom: 3, padRight: 3),
      // Stride 3 and dilation: lane by lane.
      Conv2DParameters(
        batch: 1, inChannels: 5, inHeight: 30, inWidth: 61, outChannels: 7, kernelHeight: 3, kernelWidth: 2,
        strideHeight: 1, strideWidth: 3, padTop: 2, padLeft: 1, padBottom: 0, padRight: 2, dilationHeight: 2, dilationWidth: 3),
    ]
    for (i, p) in cases.enumerated() {
      XCTAssertEqual(Kernels.conv2dWorkspaceCount(p), 0)
      check(p, .all, seed: 9 + UInt64(i))
    }
  }

  func testOddSizesThreeToSeventeen() {
    let p = Conv2DParameters(
      batch: 1, inChannels: 3, inHeight: 7, inWidth: 13, outChannels: 17, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: UInt64(i)) }
  }

  func testPaddingBeyondKernelReach() {
    let p = Conv2DParameters(
      batch: 2, inChannels: 17, inHeight: 7, inWidth: 13, outChannels: 3, kernelHeight: 2, kernelWidth: 2,
      padTop: 3, padLeft: 3, padBottom: 3, padRight: 3)
    XCTAssertEqual(p.geometry.outHeight, 12)
    XCTAssertEqual(p.geometry.outWidth, 18)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 10 + UInt64(i)) }
  }

  func testStridesDilationsAsymmetricPads() {
    let p = Conv2DParameters(
      batch: 1, inChannels: 5, inHeight: 11, inWidth: 14, outChannels: 7, kernelHeight: 3, kernelWidth: 5,
      strideHeight: 2, strideWidth: 1, padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, dilationHeight: 1, dilationWidth: 2)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 20 + UInt64(i)) }
    let q = Conv2DParameters(
      batch: 1, inChannels: 4, inHeight: 9, inWidth: 9, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
      strideHeight: 3, strideWidth: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationHeight: 2, dilationWidth: 3)
    check(q, .all, seed: 29)
  }

  func testGroups() {
    let p = Conv2DParameters(
      batch: 3, inChannels: 4, inHeight: 9, inWidth: 11, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
      strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, dilationHeight: 2, dilationWidth: 2, groups: 2)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 30 + UInt64(i)) }
  }

  /// Depthwise rows at widths with and without whole 8-column vectors, both strides the vector path
  /// takes (and 3, which it does not), dilations and pads that move the interior's edges.
  func testDepthwiseVectorAndBorderColumns() {
    var seed: UInt64 = 100
    for (k, stride, dilation) in [(3, 1, 1), (5, 1, 1), (3, 2, 1), (5, 2, 1), (3, 1, 2), (3, 2, 2), (3, 3, 1)] {
      for width in [1, 2, 3, 8, 13, 17, 31, 42] {
        let pad = (k / 2) * dilation
        let p = Conv2DParameters(
          batch: 2, inChannels: 3, inHeight: 6, inWidth: width, outChannels: 3, kernelHeight: k, kernelWidth: k,
          strideHeight: 1, strideWidth: stride, padTop: pad, padLeft: pad, padBottom: pad, padRight: max(0, pad - 1),
          dilationHeight: dilation, dilationWidth: dilation, groups: 3)
        guard p.geometry.outWidth > 0 else { continue }
        check(p, seed % 2 == 0 ? .all : .residualClip, seed: seed)
        seed += 1
      }
    }
  }

  /// Convs with many small groups (ResNeXt, RegNet) run one group per thread at 2 threads
  /// (8 groups or more); the same bits as one thread, which splits within each group.
  func testManySmallGroupsGiveTheSameBitsOnAnyThread() {
    let grouped = Conv2DParameters(
      batch: 2, inChannels: 32, inHeight: 9, inWidth: 11, outChannels: 40, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 8, outputChannelOffset: 3, outputTotalChannels: 45)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(grouped, e, seed: 260 + UInt64(i)) }
    let pointwise = Conv2DParameters(
      batch: 3, inChannels: 48, inHeight: 5, inWidth: 7, outChannels: 24, kernelHeight: 1, kernelWidth: 1, groups: 12)
    check(pointwise, .all, seed: 70)
    let strided = Conv2DParameters(
      batch: 1, inChannels: 64, inHeight: 14, inWidth: 14, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
      strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 16)
    check(strided, .biasRelu, seed: 71)
  }

  /// Stride-1 convs with few output channels a group run as tiles over the image's shifted
  /// rows (packed weights only): the GEMM's bits (`check` compares them with the `[M, C, KH, KW]`
  /// weights' im2col path), whole-row tiles storing through the epilogue, the rest (rows past a
  /// group's channels, tiles across output rows, a plane's last tile) through the general store.
  func testShiftedRowsGiveTheGemmBits() {
    let cases = [
      // LeNet's first conv: one panel, padded (a bordered copy), rows of 20 = 16 + 4.
      Conv2DParameters(
        batch: 3, inChannels: 1, inHeight: 20, inWidth: 20, outChannels: 6, kernelHeight: 5, kernelWidth: 5,
        padTop: 2, padLeft: 2, padBottom: 2, padRight: 2),
      // RegNet's groups of 8 (panels of 6 and 2) into a channel slice.
      Conv2DParameters(
        batch: 2, inChannels: 32, inHeight: 9, inWidth: 23, outChannels: 32, kernelHeight: 3, kernelWidth: 3,
        padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 4, outputChannelOffset: 5, outputTotalChannels: 40),
      // ResNeXt's groups of 4, unpadded: the tiles read the input itself, the last one packed.
      Conv2DParameters(
        batch: 2, inChannels: 32, inHeight: 17, inWidth: 35, outChannels: 32, kernelHeight: 3, kernelWidth: 3, groups: 8),
      // 24 rows (4 panels), dilation, asymmetric pads, a 3x2 window, 16 outputs a row.
      Conv2DParameters(
        batch: 1, inChannels: 10, inHeight: 12, inWidth: 17, outChannels: 24, kernelHeight: 3, kernelWidth: 2,
        padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, dilationHeight: 2, dilationWidth: 2),
      // Grouped, 32 rows a group and K = 33 * 9 past one 256-deep slice: the tiles add the
      // slices up as the GEMM does.
      Conv2DParameters(
        batch: 2, inChannels: 66, inHeight: 7, inWidth: 7, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
        padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2),
      // Grouped, 64 rows a group (11 panels, the last of 4 rows) at 7x7.
      Conv2DParameters(
        batch: 1, inChannels: 16, inHeight: 7, inWidth: 7, outChannels: 128, kernelHeight: 3, kernelWidth: 3,
        padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2),
    ]
    for (i, p) in cases.enumerated() {
      XCTAssertTrue(p.geometry.runsShifted, "\(p)")
      for (j, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 300 + UInt64(10 * i + j)) }
      if p.outputTotalChannels == p.geometry.outChannels { checkResidualInPlace(p, packed: true, seed: 350 + UInt64(i)) }
    }
    // Rows of 10 outputs over 14 bordered columns and 16 output channels: the dropped columns
    // cost more than packing, so LeNet's second conv stays on im2col.
    let narrow = Conv2DParameters(
      batch: 1, inChannels: 6, inHeight: 14, inWidth: 14, outChannels: 16, kernelHeight: 5, kernelWidth: 5)
    XCTAssertFalse(narrow.geometry.runsShifted)
    // Not for strides, pointwise convs, more than 24 rows a group, or more than 64 in a grouped conv.
    XCTAssertFalse(Conv2DParameters(
      batch: 1, inChannels: 4, inHeight: 9, inWidth: 9, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
      strideHeight: 2, strideWidth: 2).geometry.runsShifted)
    XCTAssertFalse(Conv2DParameters(
      batch: 1, inChannels: 4, inHeight: 9, inWidth: 40, outChannels: 6, kernelHeight: 1, kernelWidth: 1).geometry.runsShifted)
    XCTAssertFalse(Conv2DParameters(
      batch: 1, inChannels: 4, inHeight: 9, inWidth: 40, outChannels: 30, kernelHeight: 3, kernelWidth: 3).geometry.runsShifted)
    XCTAssertFalse(Conv2DParameters(
      batch: 1, inChannels: 16, inHeight: 7, inWidth: 7, outChannels: 140, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2).geometry.runsShifted)
  }

  func testDepthwise() {
    for stride in [1, 2] {
      let p = Conv2DParameters(
        batch: 2, inChannels: 8, inHeight: 7, inWidth: 13, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
        strideHeight: stride, strideWidth: stride, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 8)
      XCTAssertTrue(Kernels.usesDirectDepthwise(p))
      for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 40 + UInt64(i + 10 * stride)) }
    }
    // Dilated, padding past the kernel's reach, into a channel slice.
    let d = Conv2DParameters(
      batch: 1, inChannels: 3, inHeight: 6, inWidth: 5, outChannels: 3, kernelHeight: 2, kernelWidth: 3,
      padTop: 3, padLeft: 0, padBottom: 1, padRight: 4, dilationHeight: 2, dilationWidth: 1, groups: 3,
      outputChannelOffset: 2, outputTotalChannels: 7)
    check(d, .all, seed: 49)
    // Depth multiplier 2 goes through the general path.
    let m = Conv2DParameters(
      batch: 1, inChannels: 4, inHeight: 7, inWidth: 7, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 4)
    XCTAssertFalse(Kernels.usesDirectDepthwise(m))
    check(m, .biasRelu, seed: 48)
  }

  func testPointwise() {
    let p = Conv2DParameters(
      batch: 2, inChannels: 16, inHeight: 7, inWidth: 13, outChannels: 24, kernelHeight: 1, kernelWidth: 1)
    XCTAssertTrue(Kernels.isPointwise(p))
    XCTAssertEqual(Kernels.conv2dWorkspaceCount(p), 0)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 50 + UInt64(i)) }
    // 1x1 with stride uses im2col.
    let s = Conv2DParameters(
      batch: 1, inChannels: 16, inHeight: 7, inWidth: 13, outChannels: 5, kernelHeight: 1, kernelWidth: 1, strideHeight: 2, strideWidth: 2)
    check(s, .bias, seed: 59)
  }

  /// Small output planes put all the images side by side in one GEMM.
  func testImagesBatchedIntoOneGemm() {
    let p = Conv2DParameters(
      batch: 4, inChannels: 86, inHeight: 30, inWidth: 30, outChannels: 7, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    XCTAssertEqual(Kernels.imagesPerGemm(p.geometry), .max)
    check(p, .all, seed: 90)
    let pointwise = Conv2DParameters(batch: 5, inChannels: 33, inHeight: 7, inWidth: 7, outChannels: 20, kernelHeight: 1, kernelWidth: 1)
    XCTAssertEqual(Kernels.imagesPerGemm(pointwise.geometry), .max)
    check(pointwise, .all, seed: 91)
    // A large plane keeps image by image.
    XCTAssertEqual(Kernels.imagesPerGemm(Conv2DParameters(batch: 2, inChannels: 3, inHeight: 32, inWidth: 32, outChannels: 4, kernelHeight: 1, kernelWidth: 1).geometry), 1)
  }

  func testChannelSliceOutput() {
    let p = Conv2DParameters(
      batch: 2, inChannels: 3, inHeight: 5, inWidth: 6, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outputChannelOffset: 5, outputTotalChannels: 11)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 60 + UInt64(i)) }
    // The slice lands where Concat expects it and nothing else is touched.
    let input = [Float](repeating: 1, count: p.inputCount)
    let weights = [Float](repeating: 1, count: p.geometry.weightCount)
    var out = [Float](repeating: -7, count: p.outputTensorCount)
    Kernels.conv2d(p, input: input, weights: weights, output: &out)
    let plane = 30
    for n in 0..<2 {
      for c in 0..<11 {
        let centre = out[(n * 11 + c) * plane + 1 * 6 + 1]
        XCTAssertEqual(centre, (5..<9).contains(c) ? 27 : -7, "n \(n) c \(c)")
      }
    }
  }

  func testSeveralGemmBlocksAndKBlocks() {
    // M = 100 > mc, N = 400 > nc, K = 576 > kc: exercises every blocking edge.
    let p = Conv2DParameters(
      batch: 1, inChannels: 64, inHeight: 20, inWidth: 20, outChannels: 100, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    check(p, .all, seed: 70)
  }

  func testResidualMayAliasOutput() {
    let plain = Conv2DParameters(
      batch: 1, inChannels: 40, inHeight: 8, inWidth: 8, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    // Eight groups: one group per thread at 2 threads.
    let grouped = Conv2DParameters(
      batch: 2, inChannels: 32, inHeight: 8, inWidth: 8, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 8)
    for (i, p) in [plain, grouped].enumerated() { checkResidualInPlace(p, seed: 80 + UInt64(i)) }
  }

  /// A conv writing over its residual, with `[M, C, KH, KW]` weights or (`packed`) GEMM panels.
  func checkResidualInPlace(
    _ p: Conv2DParameters, packed: Bool = false, seed: UInt64, file: StaticString = #filePath, line: UInt = #line
  ) {
    var rng = SeededRandom(seed: seed)
    let input = rng.floats(p.inputCount), weights = rng.floats(p.geometry.weightCount)
    let residual = rng.floats(p.outputTensorCount)
    var expected = [Float](repeating: 0, count: p.outputTensorCount)
    residual.withUnsafeBufferPointer { r in
      Reference.conv2d(p, input: input, weights: weights, epilogue: Epilogue(residual: r.baseAddress), output: &expected)
    }
    let fastWeights = packed ? Self.panels(p.geometry, weights)! : weights
    var inPlace = residual
    inPlace.withUnsafeMutableBufferPointer { buffer in
      Kernels.conv2d(
        p, input: input, weights: fastWeights, weightLayout: packed ? .gemmPanels : .oihw,
        epilogue: Epilogue(residual: UnsafePointer(buffer.baseAddress)), output: buffer.baseAddress!, pool: Self.pool)
    }
    assertClose(inPlace, expected, atol: 1e-3, rtol: 1e-4, "in-place residual, \(p.geometry.groups) groups", file: file, line: line)
  }

  func testReferenceConvByHand() {
    // 1x1x3x3 input, 2x2 kernel of ones, pad 1 on the left only: sums of 2x2 windows.
    let p = Conv2DParameters(
      batch: 1, inChannels: 1, inHeight: 3, inWidth: 3, outChannels: 1, kernelHeight: 2, kernelWidth: 2, padLeft: 1)
    let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    var out = [Float](repeating: 0, count: 6)
    Reference.conv2d(p, input: input, weights: [1, 1, 1, 1], output: &out)
    XCTAssertEqual(out, [5, 12, 16, 11, 24, 28])
  }

  func testWindowLargerThanPaddedInputHasNoOutput() {
    // span = 2 - 3 - 1 = -2; truncating division alone would give one output row.
    let g = Conv2DGeometry(inChannels: 1, inHeight: 2, inWidth: 2, outChannels: 1, kernelHeight: 4, kernelWidth: 4, strideHeight: 3, strideWidth: 3)
    XCTAssertEqual(g.outHeight, 0)
    XCTAssertThrowsError(try g.validate())
  }

  func testValidateRejectsBadGroups() {
    let p = Conv2DParameters(batch: 1, inChannels: 3, inHeight: 4, inWidth: 4, outChannels: 4, kernelHeight: 1, kernelWidth: 1, groups: 2)
    XCTAssertThrowsError(try p.validate())
  }
}

/// Winograd F(4x4, 3x3) and F(2x2, 3x3) against the reference (every case runs both). Its
/// rounding error is larger than direct convolution's: F(4x4)'s transforms scale values by up
/// to 2.5 (Bᵀ) and 8 (Aᵀ) before they cancel (F(2x2)'s by 1 and 1, so it stays well inside).
/// The test bound is `errorBound * K * max|x| * max|w|` (K = 9 C taps, weights in [-1, 1]);
/// measured on these shapes with the earlier points (0, ±1, ±2, ∞, which round more) the
/// largest error was 0.5e-7 to 6.6e-7 of that unit (the most for the smallest K, 27), so the
/// bound has a margin of at least 3. Direct convolution is checked
/// at `1e-5 * K` with the same unit-range data.
final class WinogradConvTests: XCTestCase {
  static let pool = ConvTests.pool
  /// Tolerance per unit of `K * max|x| * max|w|`.
  static let errorBound: Float = 2e-6

  /// The weights as the compiler stores them for Winograd.
  static func transformed(_ g: Conv2DGeometry, _ weights: [Float], _ variant: Winograd) -> [Float] {
    weights.withUnsafeBufferPointer { variant.transformWeights($0, outChannels: g.outChannels, inChannels: g.inChannels) }
  }

  /// Reference vs both Winograd variants.
  func check(
    _ p: Conv2DParameters, _ epilogueCase: EpilogueCase, seed: UInt64, scale: Float = 1,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    for variant in [Winograd.f4x4, .f2x2] {
      check(p, variant, epilogueCase, seed: seed, scale: scale, file: file, line: line)
    }
  }

  /// Reference vs Winograd at 1 and 2 threads (bit-identical) and with blocks of a few
  /// tile rows (bit-identical too: tiles do not depend on one another).
  func check(
    _ p: Conv2DParameters, _ variant: Winograd, _ epilogueCase: EpilogueCase, seed: UInt64, scale: Float = 1,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertNoThrow(try p.validate(), file: file, line: line)
    XCTAssertTrue(Winograd.applies(to: p.geometry), file: file, line: line)
    var rng = SeededRandom(seed: seed)
    let input = rng.floats(p.inputCount, -scale, scale)
    let weights = rng.floats(p.geometry.weightCount)
    let bias = epilogueCase.hasBias ? rng.floats(p.geometry.outChannels) : nil
    let residual = epilogueCase.hasResidual ? rng.floats(p.batch * p.geometry.outputCountPerItem) : nil
    let u = Self.transformed(p.geometry, weights, variant)
    XCTAssertEqual(u.count, variant.weightCount(p.geometry), file: file, line: line)
    let sentinel: Float = 1234.5
    var expected = [Float](repeating: sentinel, count: p.outputTensorCount)
    var fast1 = expected, fast2 = expected, small = expected, byThreads = expected, byStages = expected
    withEpilogue(bias: bias, residual: residual, activation: epilogueCase.activation) { epilogue in
      Reference.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &expected)
      Kernels.conv2d(p, input: input, weights: u, weightLayout: variant.weightLayout, epilogue: epilogue, output: &fast1)
      Kernels.conv2d(
        p, input: input, weights: u, weightLayout: variant.weightLayout, epilogue: epilogue, output: &fast2, pool: Self.pool)
      input.withUnsafeBufferPointer { x in
        u.withUnsafeBufferPointer { w in
          small.withUnsafeMutableBufferPointer { o in
            WinogradConv.run(
              p, variant, input: x.baseAddress!, weights: w.baseAddress!, epilogue: epilogue, output: o.baseAddress!,
              workspace: nil, pool: Self.pool, blockFloats: 1)
          }
          // Each thread its share of the tile rows through all three stages, and each stage over the threads.
          byThreads.withUnsafeMutableBufferPointer { o in
            WinogradConv.run(
              p, variant, input: x.baseAddress!, weights: w.baseAddress!, epilogue: epilogue, output: o.baseAddress!,
              workspace: nil, pool: Self.pool, byThreads: true)
          }
          byStages.withUnsafeMutableBufferPointer { o in
            WinogradConv.run(
              p, variant, input: x.baseAddress!, weights: w.baseAddress!, epilogue: epilogue, output: o.baseAddress!,
              workspace: nil, pool: Self.pool, byThreads: false)
          }
        }
      }
    }
    let k = Float(9 * p.geometry.inChannels)
    let atol = Self.errorBound * k * scale
    assertClose(fast1, expected, atol: atol, rtol: 0, "\(p) \(variant) \(epilogueCase)", file: file, line: line)
    assertIdentical(fast2, fast1, "threads 1 vs 2", file: file, line: line)
    assertIdentical(small, fast1, "one tile row per block vs default blocks", file: file, line: line)
    assertIdentical(byThreads, fast1, "tile rows by threads vs 1 thread", file: file, line: line)
    assertIdentical(byStages, fast1, "stages over threads vs 1 thread", file: file, line: line)
  }

  func testOddSizesAndEpilogues() {
    let p = Conv2DParameters(
      batch: 1, inChannels: 3, inHeight: 7, inWidth: 13, outChannels: 17, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 100 + UInt64(i)) }
  }

  func testPaddings() {
    for (i, pad) in [0, 1, 2].enumerated() {
      let p = Conv2DParameters(
        batch: 2, inChannels: 5, inHeight: 9 + i, inWidth: 19 - i, outChannels: 7, kernelHeight: 3, kernelWidth: 3,
        padTop: pad, padLeft: pad, padBottom: pad, padRight: pad)
      check(p, .all, seed: 110 + UInt64(i))
    }
    // Asymmetric, and a map smaller than one tile.
    let a = Conv2DParameters(
      batch: 1, inChannels: 4, inHeight: 11, inWidth: 6, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
      padTop: 2, padLeft: 0, padBottom: 1, padRight: 2)
    check(a, .biasRelu, seed: 115)
    let tiny = Conv2DParameters(
      batch: 3, inChannels: 2, inHeight: 3, inWidth: 4, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
      padTop: 0, padLeft: 1, padBottom: 0, padRight: 0)
    check(tiny, .bias, seed: 116)
  }

  func testChannelSliceOutputAndBatch() {
    let p = Conv2DParameters(
      batch: 3, inChannels: 16, inHeight: 10, inWidth: 14, outChannels: 20, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outputChannelOffset: 7, outputTotalChannels: 40)
    for (i, e) in EpilogueCase.allCases.enumerated() { check(p, e, seed: 120 + UInt64(i)) }
  }

  func testGemmBlockingEdges() {
    // M = 100 > mc, C = 260 > kc, 18 tiles per row (two SIMD groups, the last partial).
    let p = Conv2DParameters(
      batch: 1, inChannels: 260, inHeight: 6, inWidth: 70, outChannels: 100, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    check(p, .all, seed: 130)
  }

  /// The output transform stores runs of whole output rows up to 512 floats: rows of 100
  /// outputs fill a run after 5 rows, in the middle of a tile row (F(4x4) and F(2x2) alike),
  /// and a batch of 2 ends a run at each image's last row.
  func testOutputRowRunsEndInsideTileRows() {
    let p = Conv2DParameters(
      batch: 2, inChannels: 8, inHeight: 13, inWidth: 100, outChannels: 7, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    check(p, .all, seed: 135)
  }

  func testNetworkSizedLayerAndLargeInputs() {
    // A ResNet 3x3 layer shape (reduced map), with inputs of magnitude 100: the bound scales with |x|.
    let p = Conv2DParameters(
      batch: 1, inChannels: 64, inHeight: 20, inWidth: 20, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    check(p, .biasRelu, seed: 140)
    check(p, .residualClip, seed: 141, scale: 100)
  }

  func testSmallMapsTheCompilerGivesTwoByTwoTiles() {
    // ResNet's last stage (7x7, 16 tiles of 2x2) with channels past kc, and an 8x6 map at batch 2.
    let p = Conv2DParameters(
      batch: 1, inChannels: 272, inHeight: 7, inWidth: 7, outChannels: 40, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    check(p, .f2x2, .residualClip, seed: 160)
    let q = Conv2DParameters(
      batch: 2, inChannels: 24, inHeight: 8, inWidth: 6, outChannels: 20, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    check(q, .f2x2, .all, seed: 161)
  }

  func testWorkspaceStaysUnderSixteenMiBAndGrowsWithTheBatch() {
    // Every 3x3 conv the compiler runs as Winograd with up to 512 channels and up to a 224x224
    // map (all of Graphs/), on any thread count, at batch 1. A session sizes its workspace for
    // the largest batch it has run, so a smaller batch must never need more.
    for c in [16, 64, 128, 256, 512] {
      for m in [16, 64, 128, 256, 512] {
        for side in [6, 7, 12, 14, 28, 56, 112, 224] {
          let variant: Winograd = side >= 12 ? .f4x4 : .f2x2  // SelectWinograd's rule
          for threads in [1, 2, 3, 4, 8, 16, 64] {
            let counts = (1...9).map { batch in
              Kernels.conv2dWorkspaceCount(
                Conv2DParameters(
                  batch: batch, inChannels: c, inHeight: side, inWidth: side, outChannels: m, kernelHeight: 3, kernelWidth: 3,
                  padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
                layout: variant.weightLayout, threads: threads)
            }
            let what = "\(c)->\(m) at \(side)x\(side), \(variant), \(threads) threads"
            XCTAssertLessThanOrEqual(4 * counts[0], 16 << 20, what)
            XCTAssertEqual(counts, counts.sorted(), what)
          }
        }
      }
    }
  }

  /// How far F(4x4) lands from an exact (float64) convolution, against the reference's
  /// float32 direct sum on the same data: a ResNet-sized layer, RMS over the whole output.
  /// Measured here: 2.63x the direct error with the points 0, ±1, ½, -2, ∞, 4.03x with Lavin &
  /// Gray's 0, ±1, ±2, ∞ (which this bound fails).
  func testF4x4RoundingErrorStaysNearDirectConvolution() {
    let p = Conv2DParameters(
      batch: 1, inChannels: 64, inHeight: 16, inWidth: 16, outChannels: 32, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    var rng = SeededRandom(seed: 170)
    let input = rng.floats(p.inputCount), weights = rng.floats(p.geometry.weightCount)
    var direct = [Float](repeating: 0, count: p.outputTensorCount), winograd = direct
    Reference.conv2d(p, input: input, weights: weights, epilogue: Epilogue(), output: &direct)
    Kernels.conv2d(
      p, input: input, weights: Self.transformed(p.geometry, weights, .f4x4), weightLayout: .winograd4x4,
      epilogue: Epilogue(), output: &winograd)
    let (c, h, w) = (p.geometry.inChannels, p.geometry.inHeight, p.geometry.inWidth)
    var directSquares = 0.0, winogradSquares = 0.0
    for m in 0..<p.geometry.outChannels {
      for y in 0..<h {
        for x in 0..<w {
          var exact = 0.0
          for ch in 0..<c {
            for ky in 0..<3 where (0..<h).contains(y + ky - 1) {
              for kx in 0..<3 where (0..<w).contains(x + kx - 1) {
                exact += Double(input[(ch * h + y + ky - 1) * w + x + kx - 1]) * Double(weights[((m * c + ch) * 3 + ky) * 3 + kx])
              }
            }
          }
          let o = (m * h + y) * w + x
          directSquares += (Double(direct[o]) - exact) * (Double(direct[o]) - exact)
          winogradSquares += (Double(winograd[o]) - exact) * (Double(winograd[o]) - exact)
        }
      }
    }
    let ratio = (winogradSquares / directSquares).squareRoot()
    print("F(4x4) RMS error in units of direct convolution's: \(ratio)")
    XCTAssertLessThan(ratio, 3.2, "F(4x4)'s rounding error against float64, in units of direct convolution's")
  }

  func testResidualMayAliasOutput() {
    let p = Conv2DParameters(
      batch: 2, inChannels: 8, inHeight: 9, inWidth: 9, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    var rng = SeededRandom(seed: 150)
    let input = rng.floats(p.inputCount), weights = rng.floats(p.geometry.weightCount)
    let residual = rng.floats(p.outputTensorCount)
    var expected = [Float](repeating: 0, count: p.outputTensorCount)
    residual.withUnsafeBufferPointer { r in
      Reference.conv2d(p, input: input, weights: weights, epilogue: Epilogue(residual: r.baseAddress), output: &expected)
    }
    for variant in [Winograd.f4x4, .f2x2] {
      let u = Self.transformed(p.geometry, weights, variant)
      var inPlace = residual
      inPlace.withUnsafeMutableBufferPointer { buffer in
        Kernels.conv2d(
          p, input: input, weights: u, weightLayout: variant.weightLayout,
          epilogue: Epilogue(residual: UnsafePointer(buffer.baseAddress)), output: buffer.baseAddress!, pool: Self.pool)
      }
      assertClose(inPlace, expected, atol: Self.errorBound * 72, rtol: 0, "in-place residual, \(variant)")
    }
  }
}
