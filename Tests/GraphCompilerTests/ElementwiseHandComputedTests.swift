import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// Every element-wise op on values worked out by hand, through both the compiled plan
/// and the reference interpreter, so an op that computes the wrong thing (or swaps its
/// operands) fails even where the fast and reference paths agree with each other.
final class ElementwiseHandComputedTests: XCTestCase {
  let x: [Float] = [1, -2, 3, 0.5]
  let c: [Float] = [10, 20, 30, 40]

  /// `op` over input `x` [N, 4] and, per `operands`, the constant `c` and/or a second input `y`.
  func run(_ op: String, _ operands: [String], _ attributes: [String: Attribute] = [:], opset: Int = 13,
           y: [Float]? = nil, extra: (TestGraph) -> [String] = { _ in [] }) throws -> (compiled: [Float], reference: [Float]) {
    let g = TestGraph(op.lowercased())
    g.input("x", ["N", 4])
    if y != nil { g.input("y", ["N", 4]) }
    _ = g.builder.constant("c", Tensor(floats: c, dims: [4]))
    g.output(g.node(op, "out", operands + extra(g), attributes))
    let model = g.model(opset: opset)
    var inputs = ["x": try FloatTensor(shape: [1, 4], values: x)]
    if let y { inputs["y"] = try FloatTensor(shape: [1, 4], values: y) }
    let compiled = try Compile.run(try Pipeline.compile(model), inputs, threads: 1)["out"]?.values ?? []
    let reference = try ReferenceInterpreter.run(model, inputs: inputs)["out"]?.values ?? []
    return (compiled, reference)
  }

  func check(_ result: (compiled: [Float], reference: [Float]), _ expected: [Float], _ what: String,
             file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.compiled, expected, "\(what), compiled", file: file, line: line)
    XCTAssertEqual(result.reference, expected, "\(what), reference", file: file, line: line)
  }

  func testArithmeticBothOperandOrders() throws {
    check(try run("Add", ["x", "c"]), [11, 18, 33, 40.5], "x + c")
    check(try run("Add", ["c", "x"]), [11, 18, 33, 40.5], "c + x")
    check(try run("Sub", ["x", "c"]), [-9, -22, -27, -39.5], "x - c")
    check(try run("Sub", ["c", "x"]), [9, 22, 27, 39.5], "c - x")
    check(try run("Mul", ["x", "c"]), [10, -40, 90, 20], "x * c")
    check(try run("Mul", ["c", "x"]), [10, -40, 90, 20], "c * x")
    check(try run("Div", ["x", "c"]), [0.1, -0.1, 0.1, 0.0125], "x / c")
    check(try run("Div", ["c", "x"]), [10, -10, 10, 80], "c / x")
  }

  func testArithmeticOfTwoComputedValues() throws {
    let y: [Float] = [4, 4, -1, 2]
    check(try run("Sub", ["x", "y"], y: y), [-3, -6, 4, -1.5], "x - y")
    check(try run("Sub", ["y", "x"], y: y), [3, 6, -4, 1.5], "y - x")
    check(try run("Div", ["y", "x"], y: y), [4, -2, -1.0 / 3.0, 4], "y / x")
    check(try run("Sum", ["x", "y"], y: y), [5, 2, 2, 2.5], "sum")
  }

  func testActivations() throws {
    check(try run("Relu", ["x"]), [1, 0, 3, 0.5], "relu")
    check(try run("Clip", ["x"], extra: { g in [g.scalar("lo", 0), g.scalar("hi", 2)] }), [1, 0, 2, 0.5], "clip(0, 2)")
    check(try run("Clip", ["x"], ["min": .float(-1), "max": .float(0.75)], opset: 10), [0.75, -1, 0.75, 0.5], "clip opset 10")
    // ONNX: when min > max every value becomes max.
    check(try run("Clip", ["x"], extra: { g in [g.scalar("lo", 2), g.scalar("hi", 1)] }), [1, 1, 1, 1], "clip(2, 1)")
  }

  /// x = [1, -2, 3, 0.5]: values worked out by hand (sigmoid to float precision).
  func testSigmoidFamily() throws {
    let sigmoid = try run("Sigmoid", ["x"])
    let expected: [Float] = [0.7310586, 0.11920292, 0.95257413, 0.62245935]
    for (got, want) in zip(sigmoid.compiled + sigmoid.reference, expected + expected) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    // alpha 0.25, beta 0.4: [0.65, -0.1 → 0, 1.15 → 1, 0.525].
    let hard = try run("HardSigmoid", ["x"], ["alpha": .float(0.25), "beta": .float(0.4)])
    for (got, want) in zip(hard.compiled + hard.reference, [0.65, 0, 1, 0.525, 0.65, 0, 1, 0.525] as [Float]) {
      XCTAssertEqual(got, want, accuracy: 1e-6)
    }
    // x * clamp(x / 6 + 0.5): [2/3, -2 * 1/6, 3 * 1, 0.5 * 7/12].
    let swish = try run("HardSwish", ["x"], opset: 14)
    let swishExpected: [Float] = [2.0 / 3.0, -1.0 / 3.0, 3, 7.0 / 24.0]
    for (got, want) in zip(swish.compiled + swish.reference, swishExpected + swishExpected) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    XCTAssertThrowsError(try run("HardSwish", ["x"], opset: 13), "HardSwish is opset 14")
  }

  /// x = [1, -2, 3, 0.5]: the unary math ops, values from float64 libm rounded to float.
  func testUnaryMath() throws {
    let cases: [(String, [Float])] = [
      ("Tanh", [0.7615942, -0.9640276, 0.9950548, 0.46211717]),
      ("Erf", [0.8427008, -0.9953223, 0.9999779, 0.5204999]),
      ("Exp", [2.7182817, 0.13533528, 20.085537, 1.6487212]),
      ("Neg", [-1, 2, -3, -0.5]), ("Abs", [1, 2, 3, 0.5]), ("Reciprocal", [1, -0.5, 1.0 / 3.0, 2]),
    ]
    for (op, expected) in cases {
      let r = try run(op, ["x"])
      for (got, want) in zip(r.compiled + r.reference, expected + expected) { XCTAssertEqual(got, want, accuracy: 2e-7 * max(1, abs(want)), op) }
    }
    check(try run("LeakyRelu", ["x"], ["alpha": .float(0.25)]), [1, -0.5, 3, 0.5], "leakyrelu(0.25)")
    check(try run("LeakyRelu", ["x"]), [1, -0.02, 3, 0.5], "leakyrelu default alpha 0.01")
    check(try run("Pow", ["x"], extra: { g in [g.scalar("e", 2)] }), [1, 4, 9, 0.25], "x^2")
    check(try run("Pow", ["x"], extra: { g in [g.scalar("e", 3)] }), [1, -8, 27, 0.125], "x^3")
    let sqrt = try run("Sqrt", ["x"])
    for r in [sqrt.compiled, sqrt.reference] {
      XCTAssertEqual(r[0], 1)
      XCTAssertTrue(r[1].isNaN, "sqrt(-2) is NaN")
      XCTAssertEqual(r[2], 1.7320508, accuracy: 1e-7)
      XCTAssertEqual(r[3], 0.70710677, accuracy: 1e-7)
    }
  }

  /// x = [1, -2, 3, 0.5]: Pow with a tensor exponent (constant or run-time) and a constant base.
  func testPowOfTensors() throws {
    let close = { (r: (compiled: [Float], reference: [Float]), expected: [Float], what: String) in
      for (got, want) in zip(r.compiled + r.reference, expected + expected) { XCTAssertEqual(got, want, accuracy: 2e-7 * max(1, abs(want)), what) }
    }
    close(try run("Pow", ["x"], extra: { g in [g.builder.constant("e", Tensor(floats: [0, 3, -1, 0.5], dims: [4]))] }),
          [1, -8, 1.0 / 3.0, 0.70710677], "x ^ [0, 3, -1, 0.5]")
    let y: [Float] = [4, 4, -1, 2]
    close(try run("Pow", ["x", "y"], y: y), [1, 16, 1.0 / 3.0, 0.25], "x ^ y")
    close(try run("Pow", ["y", "x"], y: y), [4, 0.0625, -1, 1.4142135], "y ^ x: a negative base to an integer power")
    close(try run("Pow", ["c", "x"]), [10, 0.0025, 27000, 6.3245554], "c ^ x")
    // An int64 exponent of a float base (ONNX lets the types differ).
    close(try run("Pow", ["x"], extra: { g in [g.ints("k", [2, 3, 0, -2])] }), [1, -8, 1, 4], "x ^ int64 [2, 3, 0, -2]")
    // A negative base to a fractional power is NaN, in both paths.
    let r = try run("Pow", ["x", "y"], y: [1, 0.5, 1, 1])
    XCTAssertTrue(r.compiled[1].isNaN && r.reference[1].isNaN, "(-2)^0.5 is NaN: \(r)")
  }
}
