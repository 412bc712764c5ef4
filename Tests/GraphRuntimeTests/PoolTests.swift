import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

final class PoolTests: XCTestCase {
  /// The 4x4 plane used by the hand-checked cases.
  let plane: [Float] = [
    1, 5, 2, 0,
    3, -1, 7, 4,
    6, 2, -3, 8,
    0, 9, 1, -2,
  ]

  func pool(
    _ kind: PoolKind, kernel: Int, stride: Int, pad: Int, ceil: Bool, includePad: Bool = false, input: [Float]? = nil,
    side: Int = 4
  ) -> (Pool2DParameters, [Float]) {
    let oh = Pool2DGeometry.outputExtent(input: side, kernel: kernel, stride: stride, padBegin: pad, padEnd: pad, ceilMode: ceil)
    let p = Pool2DParameters(
      kind: kind, batch: 1, channels: 1, inHeight: side, inWidth: side, kernelHeight: kernel, kernelWidth: kernel,
      strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad, padBottom: pad, padRight: pad,
      outHeight: oh, outWidth: oh, countIncludePad: includePad)
    var out = [Float](repeating: .nan, count: oh * oh)
    Reference.pool2d(p, input: input ?? plane, output: &out)
    return (p, out)
  }

  func testMaxPool3Stride2CeilByHand() {
    // ceil((4 - 3) / 2) + 1 = 2; the second window covers rows/cols 2...3 only.
    let (_, out) = pool(.max, kernel: 3, stride: 2, pad: 0, ceil: true)
    XCTAssertEqual(out, [7, 8, 9, 8])
    let (_, floorOut) = pool(.max, kernel: 3, stride: 2, pad: 0, ceil: false)
    XCTAssertEqual(floorOut, [7])
  }

  func testMaxPoolCeilWindowsStartingInPadding() {
    // k2 s2 pad1 ceil: 3x3 output; corner windows hold one real element each.
    let (_, out) = pool(.max, kernel: 2, stride: 2, pad: 1, ceil: true)
    XCTAssertEqual(out, [1, 5, 0, 6, 7, 8, 0, 9, -2])
  }

  func testAveragePoolCountIncludePadAtCorner() {
    // k3 s2 pad1: top-left window holds 1, 5, 3, -1 (sum 8) in bounds, 9 taps in the padded input.
    let (_, excl) = pool(.average, kernel: 3, stride: 2, pad: 1, ceil: false, includePad: false)
    assertClose(excl, [2, 17.0 / 6, 19.0 / 6, 25.0 / 9], "count_include_pad=0")
    let (_, incl) = pool(.average, kernel: 3, stride: 2, pad: 1, ceil: false, includePad: true)
    assertClose(incl, [8.0 / 9, 17.0 / 9, 19.0 / 9, 25.0 / 9], "count_include_pad=1")
  }

  func testAveragePoolCeilModeDivisorStopsAtPadding() {
    // k3 s2 pad1 ceil: 3x3 output. The bottom-right window covers rows/cols 3...5 of which
    // 3...4 lie in the padded input (4 taps) and only (3, 3) = -2 is real.
    // Values from ONNX Runtime 1.2x AveragePool (opset 19).
    let (_, excl) = pool(.average, kernel: 3, stride: 2, pad: 1, ceil: true, includePad: false)
    assertClose(excl, [2.0, 2.8333333, 2.0, 3.1666667, 2.7777777, 3.3333333, 4.5, 2.6666667, -2.0], "cip 0")
    let (_, incl) = pool(.average, kernel: 3, stride: 2, pad: 1, ceil: true, includePad: true)
    assertClose(incl, [0.8888889, 1.8888888, 0.6666667, 2.1111112, 2.7777777, 1.6666666, 1.5, 1.3333334, -0.5], "cip 1")
  }

  func testAveragePoolCeilWithoutPadsIgnoresOverhang() {
    // 3x3 input, k2 s2 ceil: windows past the end are clipped even with count_include_pad.
    let input: [Float] = [1, 5, 2, 3, -1, 7, 6, 2, -3]
    for includePad in [false, true] {
      let (_, out) = pool(.average, kernel: 2, stride: 2, pad: 0, ceil: true, includePad: includePad, input: input, side: 3)
      assertClose(out, [2, 4.5, 4, -3], "includePad \(includePad)")
    }
  }

  func testOutputExtent() {
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 4, kernel: 3, stride: 2, padBegin: 0, padEnd: 0, ceilMode: true), 2)
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 4, kernel: 3, stride: 2, padBegin: 0, padEnd: 0, ceilMode: false), 1)
    // A last window that would start beyond input + begin padding is dropped.
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 5, kernel: 2, stride: 2, padBegin: 1, padEnd: 1, ceilMode: true), 3)
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 6, kernel: 1, stride: 2, padBegin: 0, padEnd: 1, ceilMode: true), 3)
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 112, kernel: 3, stride: 2, padBegin: 0, padEnd: 0, ceilMode: true), 56)
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 8, kernel: 3, stride: 1, padBegin: 0, padEnd: 0, dilation: 2, ceilMode: false), 4)
  }

  func testGlobalPools() {
    let input: [Float] = [1, 2, 3, 4, -1, -2, -3, -4]
    var avg = [Float](repeating: 0, count: 2), mx = avg
    Reference.globalPool(.average, batch: 1, channels: 2, spatial: 4, input: input, output: &avg)
    Reference.globalPool(.max, batch: 1, channels: 2, spatial: 4, input: input, output: &mx)
    XCTAssertEqual(avg, [2.5, -2.5])
    XCTAssertEqual(mx, [4, -1])
    var fast = [Float](repeating: 0, count: 2)
    Kernels.globalPool(.average, batch: 1, channels: 2, spatial: 4, input: input, output: &fast, pool: ThreadPool(threads: 2))
    XCTAssertEqual(fast, avg)
  }

  func testFastMatchesReferenceIntoChannelSlice() {
    var rng = SeededRandom(seed: 3)
    let threads = ThreadPool(threads: 2)
    for kind in [PoolKind.max, .average] {
      for (ceil, includePad) in [(false, false), (true, false), (true, true)] {
        let (h, w) = (7, 13)
        let oh = Pool2DGeometry.outputExtent(input: h, kernel: 3, stride: 2, padBegin: 1, padEnd: 0, ceilMode: ceil)
        let ow = Pool2DGeometry.outputExtent(input: w, kernel: 2, stride: 3, padBegin: 0, padEnd: 1, ceilMode: ceil)
        let p = Pool2DParameters(
          kind: kind, batch: 2, channels: 3, inHeight: h, inWidth: w, kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 3,
          padTop: 1, padLeft: 0, padBottom: 0, padRight: 1, outHeight: oh, outWidth: ow, countIncludePad: includePad,
          outputChannelOffset: 1, outputTotalChannels: 5)
        XCTAssertNoThrow(try p.validate())
        let input = rng.floats(p.inputCount)
        var expected = [Float](repeating: 99, count: p.outputTensorCount)
        var fast = expected
        Reference.pool2d(p, input: input, output: &expected)
        Kernels.pool2d(p, input: input, output: &fast, pool: threads)
        assertIdentical(fast, expected, "\(kind) ceil \(ceil) includePad \(includePad)")
        // Channels 0 and 4 of each image are outside the slice and untouched.
        let planeSize = oh * ow
        XCTAssertTrue(fast[0..<planeSize].allSatisfy { $0 == 99 })
        XCTAssertTrue(fast[(4 * planeSize)..<(5 * planeSize)].allSatisfy { $0 == 99 })
      }
    }
  }

  /// Dilations, padding beyond the kernel's reach and windows entirely in padding.
  func testFastMatchesReferenceOnAwkwardWindows() {
    var rng = SeededRandom(seed: 5)
    for kind in [PoolKind.max, .average] {
      for includePad in [false, true] {
        for (k, s, d, pad) in [(2, 1, 1, 3), (3, 2, 2, 2), (5, 1, 1, 4), (3, 3, 1, 0), (4, 2, 3, 5)] {
          let (h, w) = (6, 9)
          let oh = Pool2DGeometry.outputExtent(input: h, kernel: (k - 1) * d + 1, stride: s, padBegin: pad, padEnd: pad, ceilMode: true)
          let ow = Pool2DGeometry.outputExtent(input: w, kernel: (k - 1) * d + 1, stride: s, padBegin: pad, padEnd: 1, ceilMode: false)
          guard oh > 0, ow > 0 else { continue }
          let p = Pool2DParameters(
            kind: kind, batch: 1, channels: 2, inHeight: h, inWidth: w, kernelHeight: k, kernelWidth: k,
            strideHeight: s, strideWidth: s, padTop: pad, padLeft: pad, padBottom: pad, padRight: 1,
            dilationHeight: d, dilationWidth: d, outHeight: oh, outWidth: ow, countIncludePad: includePad)
          let input = rng.floats(p.inputCount)
          var expected = [Float](repeating: 0, count: p.outputTensorCount)
          var fast = expected
          Reference.pool2d(p, input: input, output: &expected)
          Kernels.pool2d(p, input: input, output: &fast)
          assertIdentical(fast, expected, "\(kind) k\(k) s\(s) d\(d) pad \(pad) includePad \(includePad)")
        }
      }
    }
  }

  /// The instruction sets this CPU runs (max pooling runs each set's plane kernel); the others
  /// are skipped, once, with a message.
  static let instructionSets: [InstructionSet] = {
    for set in InstructionSet.allCases where !set.isSupported {
      print("PoolTests: skipping the \(set.rawValue) max-pool kernel: this CPU does not run it")
    }
    return InstructionSet.allCases.filter(\.isSupported)
  }()

  /// Runs the fast kernel of every instruction set the CPU runs, on 1 and 2 threads, into a
  /// channel slice (channels 1...3 of 5) and checks each bit for bit against the reference, and
  /// that the other channels stay untouched.
  func assertFastMatchesReference(_ p: Pool2DParameters, input: [Float], _ message: String) {
    var expected = [Float](repeating: 99, count: p.outputTensorCount)
    Reference.pool2d(p, input: input, output: &expected)
    for set in Self.instructionSets {
      for threads in [1, 2] {
        var fast = [Float](repeating: 99, count: p.outputTensorCount)
        Kernels.pool2d(
          p, input: input, output: &fast, pool: threads == 1 ? nil : ThreadPool(threads: threads), kernels: set.kernels)
        assertIdentical(fast, expected, "\(message), \(set.rawValue), \(threads) threads")
      }
    }
  }

  func sliceParameters(
    _ kind: PoolKind, h: Int, w: Int, kernel: (Int, Int), stride: (Int, Int), pads: (Int, Int, Int, Int),
    dilation: (Int, Int) = (1, 1), ceil: Bool, includePad: Bool, batch: Int = 2, channels: Int = 3
  ) -> Pool2DParameters? {
    let oh = Pool2DGeometry.outputExtent(
      input: h, kernel: kernel.0, stride: stride.0, padBegin: pads.0, padEnd: pads.2, dilation: dilation.0, ceilMode: ceil)
    let ow = Pool2DGeometry.outputExtent(
      input: w, kernel: kernel.1, stride: stride.1, padBegin: pads.1, padEnd: pads.3, dilation: dilation.1, ceilMode: ceil)
    guard oh > 0, ow > 0 else { return nil }
    return Pool2DParameters(
      kind: kind, batch: batch, channels: channels, inHeight: h, inWidth: w, kernelHeight: kernel.0, kernelWidth: kernel.1,
      strideHeight: stride.0, strideWidth: stride.1, padTop: pads.0, padLeft: pads.1, padBottom: pads.2, padRight: pads.3,
      dilationHeight: dilation.0, dilationWidth: dilation.1, outHeight: oh, outWidth: ow, countIncludePad: includePad,
      outputChannelOffset: 1, outputTotalChannels: channels + 2)
  }

  /// The interior/border split over widths whose interiors are narrower than 4 (border path
  /// only), 4 to 7 (4-wide vectors), 8 to 15 and longer (8-wide vectors, pairs, an overlapping
  /// last vector), with odd sizes, pads up to the kernel, ceil-mode windows past the end,
  /// strides above the kernel and dilation; networks' shapes (3x3/2 pad 1, 3x3/1 pad 1,
  /// 3x3/2 ceil, 2x2/2, 5x5/3) among them.
  func testInteriorAndBorderPathsMatchReference() {
    var rng = SeededRandom(seed: 11)
    var checked = 0
    for kind in [PoolKind.max, .average] {
      for (k, s, d) in [(3, 1, 1), (3, 2, 1), (2, 2, 1), (5, 3, 1), (1, 1, 1), (2, 3, 1), (3, 1, 2), (3, 2, 2), (4, 4, 1)] {
        for pad in Set([0, 1, k / 2, k - 1]) {
          for ceil in [false, true] {
            for w in [3, 6, 9, 12, 17, 21, 30, 37] {
              let includePad = kind == .average && (w + pad) % 2 == 0
              let h = 4 + w % 5
              // An extra column of padding at the end on odd sizes: asymmetric pads.
              guard let p = sliceParameters(
                kind, h: h, w: w, kernel: (k, k), stride: (s, s), pads: (pad, pad, pad, pad + w % 2), dilation: (d, d),
                ceil: ceil, includePad: includePad)
              else { continue }
              assertFastMatchesReference(
                p, input: rng.floats(p.inputCount, -4, 4), "\(kind) k\(k) s\(s) d\(d) pad \(pad) ceil \(ceil) \(h)x\(w)")
              checked += 1
            }
          }
        }
      }
    }
    XCTAssertGreaterThan(checked, 500)
  }

  /// 3x3/1 windows with one padding all round (Inception's pool branches) run many planes as
  /// one vector run with the taps outside each plane masked: planes from 1x1 to wider than a
  /// vector, runs shorter than the vector's reach, blocks of 1 to 24 planes, ties of -0 and +0
  /// and -inf everywhere, and a NaN in some blocks (the NaN rule, the same run).
  func testSameSizeThreeByThreeRunsOverManyPlanes() {
    var rng = SeededRandom(seed: 15)
    for (h, w) in [(1, 1), (1, 5), (3, 3), (2, 17), (4, 4), (7, 7), (14, 14), (5, 33)] {
      for channels in [1, 9, 48] {
        for nan in [false, true] {
          guard let p = sliceParameters(
            .max, h: h, w: w, kernel: (3, 3), stride: (1, 1), pads: (1, 1, 1, 1), ceil: false, includePad: false, batch: 2,
            channels: channels)
          else { return XCTFail("empty output") }
          var input: [Float] = (0..<p.inputCount).map { _ in [Float(0), -0.0, -Float.infinity, rng.float()][Int(rng.next() % 4)] }
          if nan { input[Int(rng.next() % UInt64(input.count))] = .nan }
          assertFastMatchesReference(p, input: input, "\(h)x\(w) x\(channels) nan \(nan)")
        }
      }
    }
  }

  /// Max pools with 56 output rows or more go by bands of output rows, one per thread, each band
  /// a pool of its own with the padding above its first window: 2 and 3 threads (bands of
  /// unequal height), strides 1 and 2, padding or none, ceil-mode windows past the end, a
  /// NaN in some planes, into a slice of the output channels. Bit-identical to the reference.
  func testMaxPoolByRowBandsMatchesReference() {
    var rng = SeededRandom(seed: 16)
    let shapes = [(3, 2, 1, 112, 9, false), (3, 2, 0, 115, 14, true), (2, 2, 0, 113, 6, true), (3, 1, 1, 57, 5, false), (3, 2, 1, 121, 17, true)]
    for (k, s, pad, h, w, ceil) in shapes {
      guard let p = sliceParameters(
        .max, h: h, w: w, kernel: (k, k), stride: (s, s), pads: (pad, pad, pad, pad), ceil: ceil, includePad: false, batch: 2,
        channels: 5)
      else { return XCTFail("empty output") }
      // The bands apply (their guard falls back to planes silently otherwise).
      XCTAssertNotNil(MaxPoolBands(p.geometry, threads: 3), "\(k)x\(k)/\(s) pad \(pad) on \(h)x\(w)")
      var input: [Float] = (0..<p.inputCount).map { _ in [Float(0), -0.0, -Float.infinity, rng.float(), rng.float()][Int(rng.next() % 5)] }
      input[Int(rng.next() % UInt64(input.count))] = .nan
      var expected = [Float](repeating: 99, count: p.outputTensorCount)
      Reference.pool2d(p, input: input, output: &expected)
      for set in Self.instructionSets {
        for threads in [2, 3] {
          var fast = [Float](repeating: 99, count: p.outputTensorCount)
          Kernels.pool2d(p, input: input, output: &fast, pool: ThreadPool(threads: threads), kernels: set.kernels)
          assertIdentical(fast, expected, "\(k)x\(k)/\(s) pad \(pad) on \(h)x\(w), \(set.rawValue), \(threads) threads")
        }
      }
    }
  }

  /// Padding far wider than the data (only a crafted plan has it) takes the kernel's direct
  /// path, whose scratch does not grow with the padding; windows wholly in padding give the seed.
  func testMaxPoolWithPaddingFarWiderThanTheInput() {
    var rng = SeededRandom(seed: 14)
    for (h, w, pad) in [(3, 2, 20), (1, 1, 9), (4, 5, 30)] {
      guard let p = sliceParameters(.max, h: h, w: w, kernel: (3, 3), stride: (1, 2), pads: (pad, pad, pad, pad), ceil: false, includePad: false)
      else { return XCTFail("empty output") }
      assertFastMatchesReference(p, input: rng.floats(p.inputCount), "\(h)x\(w) pad \(pad)")
    }
  }

  /// Non-square windows and strides: rows and columns split independently.
  func testRectangularWindowsMatchReference() {
    var rng = SeededRandom(seed: 12)
    for kind in [PoolKind.max, .average] {
      for (kernel, stride, pads) in [((1, 3), (2, 1), (0, 1, 0, 1)), ((3, 2), (1, 2), (2, 0, 1, 1)), ((2, 5), (3, 2), (1, 2, 0, 4))] {
        guard let p = sliceParameters(
          kind, h: 11, w: 26, kernel: kernel, stride: stride, pads: pads, ceil: true, includePad: kind == .average, batch: 3)
        else { return XCTFail("empty output") }
        assertFastMatchesReference(p, input: rng.floats(p.inputCount), "\(kind) \(kernel) / \(stride) pads \(pads)")
      }
    }
  }

  /// Max keeps the reference's rule for NaN (a window holding NaN yields its last NaN, payload
  /// included), -inf (a window of -inf yields -greatestFiniteMagnitude) and equal values (the
  /// first stays, so -0 vs +0 depends on the order); planes with NaN take a separate path.
  func testMaxPoolSpecialValuesMatchReference() {
    var rng = SeededRandom(seed: 13)
    let specials: [Float] = [
      .nan, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFC0_0042), -.infinity, .infinity, 0, -0.0, -.greatestFiniteMagnitude,
    ]
    // 9 x 29 planes, and where rows are exactly `stride` outputs wide (the row pass then runs
    // over the plane as one run) also planes of 14 x 14, 7 x 7 (under one 16-lane vector of
    // row maxima), 2 x 3, and stride 2 on even widths (ceil mode without padding, floor with).
    let shapes = [
      (3, 1, 1, 9, 29, true), (3, 2, 0, 9, 29, true), (2, 2, 0, 9, 29, true), (3, 2, 1, 9, 29, true), (3, 1, 1, 14, 14, true),
      (3, 1, 1, 7, 7, true), (3, 1, 1, 2, 3, true), (3, 2, 0, 8, 14, true), (3, 2, 0, 6, 56, true), (3, 2, 1, 9, 16, false),
      (3, 2, 1, 12, 112, false), (2, 2, 0, 5, 10, false),
    ]
    for (k, s, pad, h, w, ceil) in shapes {
      for nans in [false, true] {
        guard let p = sliceParameters(.max, h: h, w: w, kernel: (k, k), stride: (s, s), pads: (pad, pad, pad, pad), ceil: ceil, includePad: false)
        else { return XCTFail("empty output") }
        // Mostly zeros of either sign and -inf, so ties and all-(-inf) windows are common.
        var input: [Float] = (0..<p.inputCount).map { _ in [Float(0), -0.0, -Float.infinity, rng.float()][Int(rng.next() % 4)] }
        if nans {
          for _ in 0..<12 { input[Int(rng.next() % UInt64(input.count))] = specials[Int(rng.next() % UInt64(specials.count))] }
        }
        // The second plane of the first image has no NaN even when others do.
        for i in (p.geometry.inHeight * p.geometry.inWidth)..<(2 * p.geometry.inHeight * p.geometry.inWidth) where input[i].isNaN {
          input[i] = 1
        }
        assertFastMatchesReference(p, input: input, "\(h)x\(w) k\(k) s\(s) pad \(pad) nans \(nans)")
      }
    }
  }
}
