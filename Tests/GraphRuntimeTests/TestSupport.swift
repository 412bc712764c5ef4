import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// Deterministic pseudo-random numbers (SplitMix64) so failures reproduce.
struct SeededRandom {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [-1, 1).
  mutating func float() -> Float {
    Float(next() >> 40) / Float(1 << 24) * 2 - 1
  }

  mutating func floats(_ count: Int) -> [Float] {
    (0..<count).map { _ in float() }
  }
}

/// Asserts `|a - b| <= atol + rtol * |b|` element-wise, reporting the first mismatch.
func assertClose(
  _ actual: [Float], _ expected: [Float], atol: Float = 1e-5, rtol: Float = 1e-5, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
  for i in 0..<min(actual.count, expected.count) {
    let a = actual[i], e = expected[i]
    if a == e { continue }
    if a.isNaN || e.isNaN || abs(a - e) > atol + rtol * abs(e) {
      XCTFail("\(message): element \(i) is \(a), expected \(e)", file: file, line: line)
      return
    }
  }
}

/// Asserts bit-identical arrays (used for thread-count independence).
func assertIdentical(
  _ actual: [Float], _ expected: [Float], _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, file: file, line: line)
  if let i = actual.indices.first(where: { i in i < expected.count && actual[i].bitPattern != expected[i].bitPattern }) {
    XCTFail("\(message): element \(i) differs, \(actual[i]) vs \(expected[i])", file: file, line: line)
  }
}

/// Builds an ``Epilogue`` from optional arrays and runs `body` with it.
func withEpilogue<R>(
  bias: [Float]?, residual: [Float]?, activation: Activation, _ body: (Epilogue) -> R
) -> R {
  func withOptional<T>(_ array: [Float]?, _ f: (UnsafePointer<Float>?) -> T) -> T {
    if let array { return array.withUnsafeBufferPointer { f($0.baseAddress!) } }
    return f(nil)
  }
  return withOptional(bias) { b in
    withOptional(residual) { r in body(Epilogue(bias: b, residual: r, activation: activation)) }
  }
}

/// The epilogue variants every fused kernel is checked with.
enum EpilogueCase: CaseIterable {
  case plain, bias, biasRelu, residualClip, all

  var hasBias: Bool { self == .bias || self == .biasRelu || self == .all }
  var hasResidual: Bool { self == .residualClip || self == .all }
  var activation: Activation {
    switch self {
    case .plain, .bias: return .none
    case .biasRelu, .all: return .relu
    case .residualClip: return .clip(min: -0.5, max: 0.75)
    }
  }
}
