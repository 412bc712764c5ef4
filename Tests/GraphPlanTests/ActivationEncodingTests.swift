import XCTest
@testable import GraphPlan

/// Every activation through its on-disk encoding and into words.
final class ActivationEncodingTests: XCTestCase {
  static let all: [Activation] = [
    .none, .relu, .clip(min: -1, max: 6), .sigmoid, .hardSigmoid(alpha: 0.25, beta: 0.4), .hardSwish,
    .leakyRelu(alpha: 0.1), .tanh, .erf, .exp, .neg, .abs, .reciprocal, .sqrt, .power(2), .silu, .gelu, .geluTanh,
    .elu(alpha: 0.5), .log, .softplus, .softsign, .selu(alpha: 1.5, gamma: 1.25), .celu(alpha: 2), .thresholdedRelu(alpha: 0.75), .sign, .isNaN,
    .isInf(negative: true, positive: false), .isInf(negative: false, positive: true), .isInf(negative: true, positive: true),
    .floor, .ceil, .round, .mish, .shrink(lambd: 0.5, bias: 0.25),
  ] + MathFunction.allCases.map { .math($0) }

  func testEveryActivationRoundTrips() throws {
    var tags: [UInt8] = []
    for a in Self.all {
      var w = ByteWriter()
      w.activation(a)
      tags.append(w.bytes[0])
      let decoded = try w.bytes.withUnsafeBytes { raw -> Activation in
        var r = ByteReader(raw, context: "test")
        defer { XCTAssertTrue(r.isAtEnd, "\(a): bytes left over") }
        return try r.activation()
      }
      XCTAssertEqual(decoded, a)
    }
    XCTAssertEqual(tags, Array(0...27) + [27, 27, 28, 29, 30, 31, 32] + Array(repeating: 33, count: 11), "on-disk numbers never change")
  }

  func testUnknownTagIsAnError() {
    XCTAssertThrowsError(try [UInt8(27), 4].withUnsafeBytes { raw in
      var r = ByteReader(raw, context: "test")
      return try r.activation()
    }, "isinf flags beyond its two bits")
    XCTAssertThrowsError(try [UInt8(33), 11].withUnsafeBytes { raw in
      var r = ByteReader(raw, context: "test")
      return try r.activation()
    }, "a math function beyond the eleven")
    XCTAssertThrowsError(try [UInt8(34)].withUnsafeBytes { raw in
      var r = ByteReader(raw, context: "test")
      return try r.activation()
    })
  }

  func testWording() {
    XCTAssertEqual(Self.all.map(PlanDescription.activation), [
      "", "relu", "clip(-1, 6)", "sigmoid", "hardsigmoid(0.25, 0.4)", "hardswish", "leakyrelu(0.1)", "tanh", "erf", "exp",
      "neg", "abs", "reciprocal", "sqrt", "pow(2)", "silu", "gelu", "gelu(tanh)",
      "elu(0.5)", "log", "softplus", "softsign", "selu(1.5, 1.25)", "celu(2)", "thresholdedrelu(0.75)",
      "sign", "isnan", "isinf(-)", "isinf(+)", "isinf(-+)", "floor", "ceil", "round", "mish", "shrink(0.5, 0.25)",
      "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    ])
  }
}
