import TestSupport
import Foundation
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

final class ElementwiseTests: XCTestCase {
  func testBroadcastByHand() throws {
    var out = [Float](repeating: 0, count: 6)
    let shape = try Reference.binary(.add, a: [1, 2], aShape: [2, 1], b: [10, 20, 30], bShape: [3], output: &out)
    XCTAssertEqual(shape, [2, 3])
    XCTAssertEqual(out, [11, 21, 31, 12, 22, 32])
    var scalar = [Float](repeating: 0, count: 3)
    try Reference.binary(.div, a: [2, 4, 8], aShape: [3], b: [2], bShape: [], output: &scalar)
    XCTAssertEqual(scalar, [1, 2, 4])
    XCTAssertThrowsError(try Reference.broadcastShape([2, 3], [4]))
    XCTAssertEqual(try Reference.broadcastShape([1, 5, 1], [3, 1, 1, 4]), [3, 1, 5, 4])
  }

  /// One pair through the operator, spelled out.
  func arithmetic(_ op: BinaryOp, _ x: Float, _ y: Float) -> Float {
    switch op {
    case .add: x + y
    case .sub: x - y
    case .mul: x * y
    case .div: x / y
    case .pow: Float(Foundation.pow(Double(x), Double(y)))
    case .max: x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
    case .min: x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
    case .prelu: x < 0 ? x * y : x
    case .equal: x == y ? 1 : 0
    case .less: x < y ? 1 : 0
    case .greater: x > y ? 1 : 0
    case .lessOrEqual: x <= y ? 1 : 0
    case .greaterOrEqual: x >= y ? 1 : 0
    case .and: x != 0 && y != 0 ? 1 : 0
    case .or: x != 0 || y != 0 ? 1 : 0
    case .xor: (x != 0) != (y != 0) ? 1 : 0
    case .fmod: Foundation.fmod(x, y)
    }
  }

  func testBroadcastRankFourAndSix() throws {
    var rng = SeededRandom(seed: 1)
    // [2, 1, 3, 1] op [1, 4, 1, 2] -> [2, 4, 3, 2]; expected computed by explicit indexing.
    let a = rng.floats(6), b = rng.floats(8)
    for op in [BinaryOp.add, .sub, .mul, .div, .max, .min, .prelu, .equal, .less, .greater, .lessOrEqual, .greaterOrEqual, .and, .or, .xor, .fmod] {
      var out = [Float](repeating: 0, count: 48)
      XCTAssertEqual(try Reference.binary(op, a: a, aShape: [2, 1, 3, 1], b: b, bShape: [1, 4, 1, 2], output: &out), [2, 4, 3, 2])
      for i in 0..<2 {
        for j in 0..<4 {
          for k in 0..<3 {
            for l in 0..<2 {
              XCTAssertEqual(out[((i * 4 + j) * 3 + k) * 2 + l], arithmetic(op, a[i * 3 + k], b[j * 2 + l]))
            }
          }
        }
      }
    }
    // Rank 6 with a broadcast in every other dimension.
    let x = rng.floats(2 * 3 * 2), y = rng.floats(2 * 2 * 2)
    var z = [Float](repeating: 0, count: 64 * 3 / 2)
    let shape = try Reference.binary(.mul, a: x, aShape: [2, 1, 3, 1, 2, 1], b: y, bShape: [1, 2, 1, 2, 1, 2], output: &z)
    XCTAssertEqual(shape, [2, 2, 3, 2, 2, 2])
    XCTAssertEqual(z[z.count - 1], x[11] * y[7])
    // out[1, 0, 2, 1, 0, 1] = x[1, 0, 2, 0, 0, 0] * y[0, 0, 0, 1, 0, 1]
    let outIndex: Int = ((((1 * 2 + 0) * 3 + 2) * 2 + 1) * 2 + 0) * 2 + 1
    let xIndex: Int = 1 * 6 + 2 * 2
    let yIndex: Int = 1 * 2 + 1
    XCTAssertEqual(z[outIndex], x[xIndex] * y[yIndex])
    XCTAssertThrowsError(try Reference.binary(.add, a: x, aShape: [1, 1, 1, 1, 1, 1, 12], b: y, bShape: [1], output: &z))
  }

  func testReluAndClip() {
    var out = [Float](repeating: 0, count: 4)
    Reference.relu([-1, 0, 2, -0.5], count: 4, output: &out)
    XCTAssertEqual(out, [0, 0, 2, 0])
    Reference.clip([-1, 0, 2, 7], count: 4, min: 0, max: 6, output: &out)
    XCTAssertEqual(out, [0, 0, 2, 6])
  }

  func testSoftmaxByHand() throws {
    var out = [Float](repeating: 0, count: 6)
    try Reference.softmax([1, 2, 3, 0, 0, 0], shape: [2, 3], axis: 1, output: &out)
    assertClose(out, [0.09003057, 0.24472847, 0.66524096, 1.0 / 3, 1.0 / 3, 1.0 / 3], atol: 1e-7, "softmax")
    // Large logits stay finite.
    try Reference.softmax([1000, 1000], shape: [2], axis: -1, output: &out)
    XCTAssertEqual(Array(out[0..<2]), [0.5, 0.5])
  }

  func testSoftmaxMiddleAxisSumsToOne() throws {
    var rng = SeededRandom(seed: 2)
    let x = rng.floats(2 * 5 * 3).map { $0 * 10 }
    var y = [Float](repeating: 0, count: x.count)
    try Reference.softmax(x, shape: [2, 5, 3], axis: 1, output: &y)
    for o in 0..<2 {
      for i in 0..<3 {
        let s = (0..<5).reduce(Float(0)) { $0 + y[(o * 5 + $1) * 3 + i] }
        XCTAssertEqual(s, 1, accuracy: 1e-6)
      }
    }
    XCTAssertThrowsError(try Reference.softmax(x, shape: [2, 5, 3], axis: 3, output: &y))
  }

  func testLRNByHand() {
    let x: [Float] = [1, 2, 3, 4, 5]  // [1, 5, 1, 1]
    var y = [Float](repeating: 0, count: 5)
    // size 3: ONNX Runtime's values.
    Reference.lrn(x, batch: 1, channels: 5, spatial: 1, size: 3, alpha: 0.1, beta: 0.75, bias: 2, output: &y)
    assertClose(y, [0.55995864, 1.0161250, 1.3271490, 1.5095810, 2.0117309], atol: 1e-6, "size 3")
    // size 4 (even): window c-1 ... c+2, e.g. c = 1 sums 1 + 4 + 9 + 16 = 30,
    // 2 / (2 + 0.1 / 4 * 30)^0.75 = 0.93654894.
    Reference.lrn(x, batch: 1, channels: 5, spatial: 1, size: 4, alpha: 0.1, beta: 0.75, bias: 2, output: &y)
    assertClose(y, [0.52686470, 0.93654894, 1.2115397, 1.6525228, 2.1798468], atol: 1e-6, "size 4")
  }

  func testBatchNormFoldedMatchesDirect() {
    var rng = SeededRandom(seed: 4)
    let x = rng.floats(2 * 3 * 5)
    let gamma = rng.floats(3), beta = rng.floats(3), mean = rng.floats(3)
    let variance = rng.floats(3).map { abs($0) + 0.1 }
    var direct = [Float](repeating: 0, count: x.count), folded = direct
    Reference.batchNormalization(
      x, batch: 2, channels: 3, spatial: 5, scale: gamma, bias: beta, mean: mean, variance: variance, epsilon: 1e-5,
      output: &direct)
    let (scale, shift) = Reference.batchNormScaleShift(
      scale: gamma, bias: beta, mean: mean, variance: variance, epsilon: 1e-5, channels: 3)
    Reference.channelAffine(x, batch: 2, channels: 3, spatial: 5, scale: scale, shift: shift, output: &folded)
    assertClose(folded, direct, atol: 1e-5, "batchnorm")
    // Hand value: x = 1, mean 0, var 3 (eps 1), gamma 2, beta 1 -> 1 / 2 * 2 + 1 = 2.
    var one: [Float] = [0]
    Reference.batchNormalization([1], batch: 1, channels: 1, spatial: 1, scale: [2], bias: [1], mean: [0], variance: [3], epsilon: 1, output: &one)
    XCTAssertEqual(one, [2])
  }

  func testTranspose() throws {
    let x = (0..<24).map(Float.init)  // [2, 3, 4]
    var y = [Float](repeating: 0, count: 24)
    XCTAssertEqual(try Reference.transpose(x, shape: [2, 3, 4], perm: [2, 0, 1], output: &y), [4, 2, 3])
    for i in 0..<2 {
      for j in 0..<3 {
        for k in 0..<4 { XCTAssertEqual(y[(k * 2 + i) * 3 + j], x[(i * 3 + j) * 4 + k]) }
      }
    }
    var m = [Float](repeating: 0, count: 6)
    try Reference.transpose([1, 2, 3, 4, 5, 6], shape: [2, 3], perm: [1, 0], output: &m)
    XCTAssertEqual(m, [1, 4, 2, 5, 3, 6])
    // Rank 6 reversal twice is the identity.
    var rng = SeededRandom(seed: 6)
    let r = rng.floats(2 * 1 * 3 * 2 * 2 * 3)
    var t = r, back = r
    try Reference.transpose(r, shape: [2, 1, 3, 2, 2, 3], perm: [5, 4, 3, 2, 1, 0], output: &t)
    try Reference.transpose(t, shape: [3, 2, 2, 3, 1, 2], perm: [5, 4, 3, 2, 1, 0], output: &back)
    XCTAssertEqual(back, r)
    XCTAssertThrowsError(try Reference.transpose(x, shape: [2, 3, 4], perm: [0, 0, 1], output: &y))
  }
}

final class FastElementwiseTests: XCTestCase {
  /// Slices and transposes (one strided-copy kernel) against the reference, by hand and at random.
  func testSliceMatchesReference() throws {
    let x = (0..<60).map(Float.init)  // [3, 4, 5]
    var y = [Float](repeating: 0, count: 4)
    // Channel 2, rows 3 and 1 (backward), columns 0 and 4.
    Kernels.slice(x, shape: [3, 4, 5], starts: [2, 3, 0], steps: [1, -2, 4], outShape: [1, 2, 2], output: &y)
    XCTAssertEqual(y, [55, 59, 45, 49])
    var rng = SeededRandom(seed: 13)
    let big = rng.floats(2 * 7 * 9 * 11)
    let cases: [(starts: [Int], steps: [Int], out: [Int])] = [
      ([0, 0, 0, 0], [1, 1, 1, 1], [2, 7, 9, 11]), ([1, 3, 0, 0], [1, 1, 1, 1], [1, 4, 9, 11]),
      ([0, 6, 8, 10], [1, -1, -3, -2], [2, 7, 3, 6]), ([0, 0, 1, 2], [1, 3, 2, 5], [2, 3, 4, 2]), ([1, 2, 4, 5], [1, 1, 1, 1], [1, 1, 1, 1]),
    ]
    for c in cases {
      let count = c.out.reduce(1, *)
      var fast = [Float](repeating: 0, count: count), expected = fast
      Kernels.slice(big, shape: [2, 7, 9, 11], starts: c.starts, steps: c.steps, outShape: c.out, output: &fast)
      try Reference.slice(big, shape: [2, 7, 9, 11], starts: c.starts, steps: c.steps, outShape: c.out, output: &expected)
      assertIdentical(fast, expected, "slice \(c)")
    }
    XCTAssertThrowsError(try Reference.slice(big, shape: [2, 7, 9, 11], starts: [0, 0, 0, 5], steps: [1, 1, 1, 2], outShape: [2, 7, 9, 4], output: &y))
    for perm in [[3, 1, 0, 2], [0, 2, 1, 3], [1, 0, 2, 3]] {
      var fast = [Float](repeating: 0, count: big.count), expected = fast
      Kernels.transpose(big, shape: [2, 7, 9, 11], perm: perm, output: &fast)
      try Reference.transpose(big, shape: [2, 7, 9, 11], perm: perm, output: &expected)
      assertIdentical(fast, expected, "transpose \(perm)")
    }
  }

  /// Operand shapes for the broadcast kernel: equal, broadcast either way, scalars, long rows.
  static let broadcastCases: [([Int], [Int])] = [
    ([2, 3, 7, 13], [2, 3, 7, 13]), ([2, 17, 7, 13], [17, 1, 1]), ([2, 17, 7, 13], []), ([1], [3, 5]),
    ([3, 1], [1, 4]), ([2, 1, 3, 1, 2, 1], [1, 2, 1, 2, 1, 2]), ([4, 1], [4, 70_000]), ([5], [5]),
    // Dimensions the fast path merges: a squeeze-excitation gate either side, leading and trailing broadcasts.
    ([2, 17, 1, 1], [2, 17, 7, 13]), ([2, 17, 7, 13], [2, 17, 1, 1]), ([1, 1, 4, 5], [2, 3, 4, 5]), ([2, 3, 4, 5], [3, 1, 1]),
    ([2, 3, 1, 1, 5], [2, 3, 4, 6, 5]), ([3, 50_000], []),
    // Scalars on both sides (one value per batch item: the ONNX node test test_add_example at batch 3).
    ([], []), ([], [1]),
  ]

  func testBinaryMatchesReference() throws {
    var rng = SeededRandom(seed: 11)
    let pool = ThreadPool(threads: 2)
    for (aShape, bShape) in Self.broadcastCases {
      let a = rng.floats(aShape.reduce(1, *)), b = rng.floats(bShape.reduce(1, *)).map { $0 + 3 }
      let count = try Reference.broadcastShape(aShape, bShape).reduce(1, *)
      for op in [BinaryOp.add, .sub, .mul, .div, .max, .min, .prelu] {
        // Max, Min and PRelu on operands of both signs (b - 3 is the raw draw), one NaN each side.
        var (a, b) = (a, b)
        if [.max, .min, .prelu].contains(op) {
          b = b.map { $0 - 3 }
          if a.count > 2 { a[1] = .nan }
          if b.count > 2 { b[2] = .nan }
        }
        var expected = [Float](repeating: 0, count: count), fast = expected
        let s1 = try Reference.binary(op, a: a, aShape: aShape, b: b, bShape: bShape, output: &expected)
        let s2 = try Kernels.binary(op, a: a, aShape: aShape, b: b, bShape: bShape, output: &fast, pool: pool)
        XCTAssertEqual(s1, s2)
        assertIdentical(fast, expected, "\(op) \(aShape) \(bShape)")
      }
    }
    var out: [Float] = [0]
    XCTAssertThrowsError(try Kernels.binary(.add, a: [1, 2], aShape: [2], b: [1, 2, 3], bShape: [3], output: &out))
  }

  /// Pow through the broadcast kernel (`powf` per element) against the reference (float64 `pow`,
  /// rounded once) on every broadcast case: within one unit in the last place (glibc's `powf` is
  /// not always correctly rounded), NaN exactly where the reference has NaN, and the same bits on
  /// 1 and 2 threads.
  func testPowMatchesReference() throws {
    var rng = SeededRandom(seed: 13)
    let pool = ThreadPool(threads: 2)
    var negativePowers = 0
    for (aShape, bShape) in Self.broadcastCases {
      // Bases of both signs; every other exponent an integer, a negative base's only real powers.
      let a = rng.floats(aShape.reduce(1, *), -4, 4)
      let b = rng.floats(bShape.reduce(1, *), -6, 6).enumerated().map { $0.offset % 2 == 0 ? $0.element.rounded() : $0.element }
      let count = try Reference.broadcastShape(aShape, bShape).reduce(1, *)
      var expected = [Float](repeating: 0, count: count), one = expected, two = expected
      try Reference.binary(.pow, a: a, aShape: aShape, b: b, bShape: bShape, output: &expected)
      try Kernels.binary(.pow, a: a, aShape: aShape, b: b, bShape: bShape, output: &one)
      try Kernels.binary(.pow, a: a, aShape: aShape, b: b, bShape: bShape, output: &two, pool: pool)
      assertIdentical(two, one, "pow \(aShape) \(bShape) on 2 threads")
      for i in 0..<count where !(one[i] == expected[i] || (one[i].isNaN && expected[i].isNaN)) {
        if !(abs(one[i] - expected[i]) <= expected[i].ulp) {
          XCTFail("pow \(aShape) \(bShape): element \(i) is \(one[i]), reference \(expected[i])")
          break
        }
      }
      negativePowers += expected.filter { $0 < 0 }.count
    }
    XCTAssertGreaterThan(negativePowers, 1000, "negative bases with odd integer exponents give negative powers")
  }

  /// ONNX Pow's special values (C's `pow`, which numpy and onnxruntime follow), worked out by hand,
  /// through the fast kernel and the reference; signed zeros compared by their bits.
  func testPowSpecialValues() throws {
    let cases: [(x: Float, y: Float, expected: Float)] = [
      (-2, 3, -8), (-2, 2, 4), (-2, -1, -0.5), (-2, 0.5, .nan), (-8, 1.0 / 3.0, .nan), (4, 0.5, 2), (4, -0.5, 0.5),
      (0, 0, 1), (.nan, 0, 1), (.nan, -0.0, 1), (1, .nan, 1), (-1, .infinity, 1), (.nan, 1, .nan), (2, .nan, .nan),
      (0, -1, .infinity), (-0.0, -1, -.infinity), (-0.0, -2, .infinity), (0, 2, 0), (-0.0, 3, -0.0), (-0.0, 2, 0),
      (0.5, .infinity, 0), (2, .infinity, .infinity), (2, -.infinity, 0), (0.5, -.infinity, .infinity),
      (-.infinity, 3, -.infinity), (-.infinity, 2, .infinity), (-.infinity, -3, -0.0), (.infinity, -0.5, 0),
      (2, 127, 0x1p127), (2, 128, .infinity), (-2, 127, -0x1p127), (2, -149, .leastNonzeroMagnitude),
    ]
    let x = cases.map(\.x), y = cases.map(\.y)
    var fast = [Float](repeating: 0, count: cases.count), reference = fast
    try Kernels.binary(.pow, a: x, aShape: [cases.count], b: y, bShape: [cases.count], output: &fast)
    try Reference.binary(.pow, a: x, aShape: [cases.count], b: y, bShape: [cases.count], output: &reference)
    for (i, c) in cases.enumerated() {
      for (got, path) in [(fast[i], "fast"), (reference[i], "reference")] {
        let same = c.expected.isNaN ? got.isNaN : got.bitPattern == c.expected.bitPattern
        XCTAssertTrue(same, "\(path): pow(\(c.x), \(c.y)) is \(got), expected \(c.expected)")
      }
    }
  }

  func testActivationAndAffineMatchReference() {
    var rng = SeededRandom(seed: 12)
    let x = rng.floats(2 * 3 * 40_000)
    let pool = ThreadPool(threads: 2)
    var expected = [Float](repeating: 0, count: x.count), fast = expected
    Reference.clip(x, count: x.count, min: -0.25, max: 0.5, output: &expected)
    Kernels.activation(.clip(min: -0.25, max: 0.5), x, count: x.count, output: &fast, pool: pool)
    assertIdentical(fast, expected, "clip")
    // Every activation over a range that saturates and underflows them, with an odd count so
    // the vector loop's scalar tail runs too; exactly the same on 1 and 2 threads.
    let wide = rng.floats(100_003).map { $0 * 24 } + [0, -0, 88.5, 89, -87, -88, -104, .infinity, -.infinity, .nan]
    let tolerances: [(Activation, atol: Float, rtol: Float)] = [
      (.relu, 0, 0), (.sigmoid, 1e-7, 4e-7), (.silu, 1e-7, 4e-7), (.hardSigmoid(alpha: 0.2, beta: 0.5), 1e-7, 1e-7), (.hardSwish, 0, 2e-7),
      (.leakyRelu(alpha: 0.1), 0, 1e-7), (.tanh, 1e-7, 4e-7), (.erf, 2e-7, 0), (.exp, 0, 4e-7), (.neg, 0, 0),
      (.abs, 0, 0), (.reciprocal, 0, 1e-7), (.sqrt, 0, 1e-7), (.power(2), 0, 1e-7), (.power(0.5), 0, 1e-7),
      (.power(1.5), 0, 2e-7), (.gelu, 1e-7, 4e-7), (.geluTanh, 1e-7, 4e-7),
      (.elu(alpha: 1), 1e-7, 4e-7), (.elu(alpha: 0.5), 1e-7, 4e-7), (.log, 0, 2e-7), (.softplus, 0, 4e-7), (.softsign, 0, 1e-7),
      (.selu(alpha: 1.6732632, gamma: 1.050701), 1e-7, 4e-7), (.celu(alpha: 2), 1e-7, 4e-7), (.thresholdedRelu(alpha: 1), 0, 0),
      (.sign, 0, 0), (.isNaN, 0, 0), (.isInf(negative: true, positive: true), 0, 0), (.isInf(negative: false, positive: true), 0, 0),
      (.isInf(negative: true, positive: false), 0, 0), (.floor, 0, 0), (.ceil, 0, 0), (.round, 0, 0),
      (.mish, 1e-7, 8e-7), (.shrink(lambd: 1.5, bias: 0.25), 0, 0), (.shrink(lambd: 0, bias: -2), 0, 0),
    ] + MathFunction.allCases.map { (.math($0), 1e-7, 2.5e-7) }
    for (activation, atol, rtol) in tolerances {
      var reference = [Float](repeating: 0, count: wide.count), one = reference, two = reference
      Reference.activation(activation, wide, count: wide.count, output: &reference)
      Kernels.activation(activation, wide, count: wide.count, output: &one)
      Kernels.activation(activation, wide, count: wide.count, output: &two, pool: pool)
      assertIdentical(two, one, "\(activation) on 2 threads")
      for i in wide.indices where !(one[i] == reference[i] || (one[i].isNaN && reference[i].isNaN)) {
        // Subnormal results keep only a few bits.
        if reference[i] < Float.leastNormalMagnitude, abs(one[i] - reference[i]) <= 2 * Float.leastNonzeroMagnitude { continue }
        if abs(one[i] - reference[i]) > atol + rtol * abs(reference[i]) {
          XCTFail("\(activation)(\(wide[i])) = \(one[i]), reference \(reference[i])")
          break
        }
      }
      // A lone value (the scalar path) gets what its lane in a vector got.
      for i in [0, 7, 100_000, wide.count - 4] {
        var lone: [Float] = [0]
        Kernels.activation(activation, [wide[i]], count: 1, output: &lone)
        XCTAssertEqual(lone[0].bitPattern, one[i].bitPattern, "\(activation)(\(wide[i])) alone")
      }
    }
    let scale = rng.floats(3), shift = rng.floats(3)
    Reference.channelAffine(x, batch: 2, channels: 3, spatial: 40_000, scale: scale, shift: shift, output: &expected)
    Kernels.channelAffine(x, batch: 2, channels: 3, spatial: 40_000, scale: scale, shift: shift, output: &fast, pool: pool)
    assertIdentical(fast, expected, "affine")
  }
}
