import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference
import KernelsGeneric

/// Depthwise convolution through each instruction set's plane kernel that this CPU runs, against
/// the reference: kernel sizes, strides and dilations of the padded-row phases, widths around
/// the 16-column vector, pads past the kernel's reach, every epilogue (the clamps fused in the
/// row kernel, the other activations after it), into a channel slice; 1 and 2 threads identical,
/// and the channel-block kernel (16 channels at a time) identical to the plane kernel.
final class DepthwiseConvTests: XCTestCase {
  static let pool = ThreadPool(threads: 2)

  func check(_ kernels: KernelTable, _ name: String) {
    var seed: UInt64 = 300
    let activations: [Activation] = [.none, .relu, .clip(min: -0.5, max: 0.75), .clip(min: 1, max: -1), .hardSwish, .silu]
    for (k, stride, dilation) in [(3, 1, 1), (5, 1, 1), (7, 1, 1), (3, 2, 1), (5, 2, 1), (3, 1, 2), (3, 2, 2), (3, 3, 1), (1, 2, 1), (2, 1, 1)] {
      for width in [1, 5, 7, 14, 16, 17, 33, 50] {
        let pad = (k / 2) * dilation
        let activation = activations[Int(seed) % activations.count]
        let p = Conv2DParameters(
          batch: 2, inChannels: 3, inHeight: 5 + Int(seed % 3), inWidth: width, outChannels: 3, kernelHeight: k, kernelWidth: k,
          strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad + Int(seed % 2), padBottom: pad + 2,
          padRight: max(0, pad - 1), dilationHeight: dilation, dilationWidth: dilation, groups: 3,
          outputChannelOffset: Int(seed % 2), outputTotalChannels: 3 + Int(seed % 2) * 2)
        guard p.geometry.outWidth > 0, p.geometry.outHeight > 0 else { continue }
        check(p, kernels, activation: activation, bias: seed % 3 != 0, residual: seed % 2 == 0, seed: seed, "\(name) \(p)")
        seed += 1
      }
    }
  }

  func check(
    _ p: Conv2DParameters, _ kernels: KernelTable, activation: Activation, bias hasBias: Bool, residual hasResidual: Bool, seed: UInt64,
    _ message: String
  ) {
    XCTAssertTrue(Kernels.usesDirectDepthwise(p))
    var rng = SeededRandom(seed: seed)
    let input = rng.floats(p.inputCount), weights = rng.floats(p.geometry.weightCount)
    let bias = hasBias ? rng.floats(p.geometry.outChannels) : nil
    let residual = hasResidual ? rng.floats(p.batch * p.geometry.outputCountPerItem) : nil
    let sentinel: Float = 1234.5
    var expected = [Float](repeating: sentinel, count: p.outputTensorCount)
    var one = expected, two = expected, blocks = expected, blocksTwo = expected
    withEpilogue(bias: bias, residual: residual, activation: activation) { epilogue in
      Reference.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &expected)
      Kernels.depthwiseConv2d(
        p, input: input, weights: weights, epilogue: epilogue, output: &one, pool: nil, kernels: kernels, channelBlocks: false)
      Kernels.depthwiseConv2d(
        p, input: input, weights: weights, epilogue: epilogue, output: &two, pool: Self.pool, kernels: kernels, channelBlocks: false)
      Kernels.depthwiseConv2d(
        p, input: input, weights: weights, epilogue: epilogue, output: &blocks, pool: nil, kernels: kernels, channelBlocks: true)
      Kernels.depthwiseConv2d(
        p, input: input, weights: weights, epilogue: epilogue, output: &blocksTwo, pool: Self.pool, kernels: kernels,
        channelBlocks: true)
    }
    let taps = Float(p.geometry.kernelHeight * p.geometry.kernelWidth)
    assertClose(one, expected, atol: 1e-5 * taps, rtol: 1e-4, "\(message) \(activation)")
    assertIdentical(two, one, "\(message): threads 1 vs 2")
    // 16 channels at a time: the same sums in the same order, so the same bits.
    assertIdentical(blocks, one, "\(message) \(activation): channel blocks vs planes")
    assertIdentical(blocksTwo, one, "\(message) \(activation): channel blocks on 2 threads vs planes")
  }

  /// Channel blocks of 16 with a partial last one (37 channels), over 7x7 and 14x14 planes, each
  /// kernel size the block kernel specializes and a generic one, strides, a dilation, padding
  /// cut short, residuals and the exp-based activations fused into the block's store.
  func testChannelBlocksAgainstReference() {
    var seed: UInt64 = 900
    let activations: [Activation] = [.silu, .sigmoid, .relu, .clip(min: 0, max: 6), .hardSwish, .gelu, .none]
    for (side, k, stride, dilation) in [(7, 5, 1, 1), (7, 3, 1, 1), (14, 5, 2, 1), (14, 3, 1, 1), (7, 7, 1, 1), (9, 3, 1, 2), (8, 4, 2, 1)] {
      let pad = (k / 2) * dilation
      let p = Conv2DParameters(
        batch: 2, inChannels: 37, inHeight: side, inWidth: side + 1, outChannels: 37, kernelHeight: k, kernelWidth: k,
        strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad, padBottom: max(0, pad - 1), padRight: pad,
        dilationHeight: dilation, dilationWidth: dilation, groups: 37, outputChannelOffset: 3, outputTotalChannels: 41)
      XCTAssertTrue(p.geometry.runsDepthwiseInChannelBlocks)
      let activation = activations[Int(seed) % activations.count]
      check(p, .current, activation: activation, bias: seed % 2 == 0, residual: seed % 3 != 2, seed: seed, "blocks \(p)")
      seed += 1
    }
    // Stride 1 over 56x56 stays planes; 28x28, or a stride, takes blocks.
    func geometry(side: Int, stride: Int) -> Conv2DGeometry {
      Conv2DGeometry(
        inChannels: 32, inHeight: side, inWidth: side, outChannels: 32, kernelHeight: 3, kernelWidth: 3, strideHeight: stride,
        strideWidth: stride, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 32)
    }
    XCTAssertFalse(geometry(side: 56, stride: 1).runsDepthwiseInChannelBlocks)
    XCTAssertTrue(geometry(side: 28, stride: 1).runsDepthwiseInChannelBlocks)
    XCTAssertTrue(geometry(side: 224, stride: 2).runsDepthwiseInChannelBlocks)
    // The ring of input rows stays small over any plane; rows of 20000 pixels stay planes.
    XCTAssertLessThan(
      KernelsGeneric.depthwiseChannelBlockScratch(Kernels.depthwiseBlockShape(geometry(side: 224, stride: 16))), 20_000)
    XCTAssertFalse(geometry(side: 20000, stride: 2).runsDepthwiseInChannelBlocks)
  }

  /// Planes larger than the ring of padded input rows (it wraps around many times), in bands of
  /// output rows, with rows at least 16 pixels wide (transposed row by row, the last 16 ending
  /// at the row's end) and narrower ones; 19 channels (a block and a partial one) and a single
  /// image on 2 threads (the blocks' output rows split between them).
  func testChannelBlocksStreamLargePlanes() {
    var seed: UInt64 = 1300
    let activations: [Activation] = [.silu, .relu, .clip(min: 0, max: 6), .hardSwish, .none]
    for (height, width, k, stride, dilation) in [
      (60, 60, 3, 1, 1), (61, 59, 5, 2, 1), (40, 130, 3, 1, 2), (70, 33, 7, 2, 1), (90, 9, 3, 1, 1), (57, 64, 4, 3, 1),
    ] {
      let pad = (k / 2) * dilation
      for batch in [1, 2] {
        let p = Conv2DParameters(
          batch: batch, inChannels: 19, inHeight: height, inWidth: width, outChannels: 19, kernelHeight: k, kernelWidth: k,
          strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad, padBottom: max(0, pad - 1), padRight: pad,
          dilationHeight: dilation, dilationWidth: dilation, groups: 19, outputChannelOffset: 1, outputTotalChannels: 21)
        let activation = activations[Int(seed) % activations.count]
        check(p, .current, activation: activation, bias: seed % 2 == 0, residual: seed % 3 == 1, seed: seed, "streamed \(p)")
        seed += 1
      }
    }
  }

  /// Small planes go several to a task: 21 channels of 2 images make tasks that end inside an
  /// image and tasks that cross from one image into the next.
  func testSmallPlanesGroupedAcrossImages() {
    for (width, stride) in [(7, 1), (14, 2)] {
      let p = Conv2DParameters(
        batch: 2, inChannels: 21, inHeight: width, inWidth: width, outChannels: 21, kernelHeight: 3, kernelWidth: 3,
        strideHeight: stride, strideWidth: stride, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, dilationHeight: 1,
        dilationWidth: 1, groups: 21, outputChannelOffset: 2, outputTotalChannels: 25)
      check(p, .current, activation: .relu, bias: true, residual: stride == 1, seed: 7, "grouped planes \(p)")
    }
  }

  /// Channel counts that fill a block's 8-channel halves partly (5, 12, 28) or exactly (8, 16,
  /// 24), over rows wide enough to transpose row by row (20) and narrow ones (9), through each
  /// instruction set this CPU runs (AVX2 transposes in 8 x 8 blocks through a C shim, the others
  /// in registers): the same bits as the plane kernel.
  func testChannelBlocksOfEveryChannelCount() {
    let tables = [
      (KernelTable.generic, "generic", true), (.haswell, "avx2+fma", InstructionSet.haswell.isSupported),
      (.skylakeX, "avx512", InstructionSet.skylakeX.isSupported),
    ]
    var seed: UInt64 = 1700
    for (kernels, name, supported) in tables where supported {
      for channels in [5, 8, 12, 16, 24, 28] {
        for (width, stride) in [(20, 1), (9, 2), (33, 2)] {
          let p = Conv2DParameters(
            batch: 1, inChannels: channels, inHeight: 6, inWidth: width, outChannels: channels, kernelHeight: 3, kernelWidth: 3,
            strideHeight: stride, strideWidth: stride, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: channels)
          XCTAssertTrue(p.geometry.runsDepthwiseInChannelBlocks)
          check(p, kernels, activation: .relu, bias: true, residual: seed % 2 == 0, seed: seed, "\(name) \(channels) channels \(p)")
          seed += 1
        }
      }
    }
  }

  /// The fused clamp on every instruction set this CPU runs, both kernels: NaN passes through it
  /// (a NaN tap makes its outputs NaN, as in the reference) and Clip with min > max gives max.
  func testClampPassesNaNAndPrefersTheUpperBound() {
    let tables = [
      (KernelTable.generic, "generic", true), (.haswell, "avx2+fma", InstructionSet.haswell.isSupported),
      (.skylakeX, "avx512", InstructionSet.skylakeX.isSupported),
    ]
    for (kernels, name, supported) in tables where supported {
      for side in [7, 20] {
        let p = Conv2DParameters(
          batch: 1, inChannels: 18, inHeight: side, inWidth: side, outChannels: 18, kernelHeight: 3, kernelWidth: 3,
          padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 18)
        var rng = SeededRandom(seed: 77)
        var input = rng.floats(p.inputCount)
        input[3 * side * side + side + 2] = .nan
        let weights = rng.floats(p.geometry.weightCount)
        for activation in [Activation.relu, .clip(min: 0, max: 6), .clip(min: 1, max: -1)] {
          for channelBlocks in [false, true] {
            var expected = [Float](repeating: 0, count: p.outputTensorCount), actual = expected
            withEpilogue(bias: nil, residual: nil, activation: activation) { epilogue in
              Reference.conv2d(p, input: input, weights: weights, epilogue: epilogue, output: &expected)
              Kernels.depthwiseConv2d(
                p, input: input, weights: weights, epilogue: epilogue, output: &actual, pool: nil, kernels: kernels,
                channelBlocks: channelBlocks)
            }
            XCTAssertEqual(expected.filter(\.isNaN).count, 9, "the NaN reaches its 3x3 neighbourhood")
            XCTAssertEqual(
              actual.indices.filter { actual[$0].isNaN }, expected.indices.filter { expected[$0].isNaN },
              "\(name) \(activation) blocks \(channelBlocks): where NaN is")
            assertClose(actual.map { $0.isNaN ? 0 : $0 }, expected.map { $0.isNaN ? 0 : $0 }, atol: 1e-4, rtol: 1e-4, "\(activation)")
            if case .clip(1, -1) = activation { XCTAssertTrue(actual.allSatisfy { $0.isNaN || $0 == -1 }) }
          }
        }
      }
    }
  }

  func testGenericRows() {
    check(.generic, "generic")
  }

  func testHaswellRowsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.haswell.isSupported, "this CPU has no AVX2+FMA: the avx2+fma depthwise rows are not run")
    check(.haswell, "avx2+fma")
  }

  func testSkylakeXRowsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.skylakeX.isSupported, "this CPU has no AVX-512F: the avx512 depthwise rows are not run")
    check(.skylakeX, "avx512")
  }
}
