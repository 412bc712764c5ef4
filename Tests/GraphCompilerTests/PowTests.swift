import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// Pow beyond a scalar exponent: which step each form lowers to, broadcasting against the
/// reference interpreter, and the integer powers constant folding computes.
final class PowTests: XCTestCase {
  /// A one-element constant exponent stays an activation (fused into a conv's epilogue); a tensor
  /// exponent, constant or run-time, and a constant base are broadcasting binary steps.
  func testLoweringKeepsTheScalarFastPath() throws {
    let g = TestGraph("pow_steps")
    let x = g.input("x", ["N", 2, 5, 5])
    let y = g.input("y", ["N", 2, 1, 1])
    let squared = g.node("Pow", "square", [g.conv("conv", x, 2, 2, k: 1), g.scalar("two", 2)])
    let cubed = g.node("Pow", "cube", [g.node("Relu", "relu", [squared]), g.builder.constant("three", Tensor(floats: [3], dims: [1, 1, 1]))])
    let rows = g.node("Pow", "rows", [cubed, g.weight("e", [5], 0.5, 1.5)])
    let gated = g.node("Pow", "gated", [rows, y])
    g.output(g.node("Pow", "based", [g.weight("base", [2, 1, 1], 0.5, 2), gated]))
    let steps = try Pipeline.compile(g.model()).plan.steps.map(\.kernel)
    let pows = steps.compactMap { kernel -> Binary? in if case .binary(let b) = kernel, b.op == .pow { b } else { nil } }
    XCTAssertEqual(pows.map { [$0.leftDims, $0.rightDims] }, [[[2, 5, 5], [5]], [[2, 5, 5], [2, 1, 1]], [[2, 5, 5], [2, 1, 1]]], "\(steps)")
    XCTAssertEqual(pows.map { $0.constant != nil }, [true, false, true])
    XCTAssertEqual(pows.map(\.constantIsLeft), [false, false, true])
    XCTAssertTrue(steps.contains { if case .conv(let c) = $0 { c.activation == .power(2) } else { false } }, "x^2 fused into the conv: \(steps)")
    XCTAssertTrue(steps.contains(.activation(.power(3))), "x^3 of a [1, 1, 1] constant is an activation: \(steps)")
  }

  /// Run-time exponents broadcast along the last axis, a constant row of exponents, and a
  /// constant base to a run-time power, at batch 1, 2 and 3 on 1 and 2 threads.
  func testBroadcastingMatchesReference() throws {
    let g = TestGraph("pow_broadcast", seed: 5)
    let x = g.input("x", ["N", 2, 3])
    let y = g.input("y", ["N", 2, 1])
    let positive = g.node("Exp", "exp", [x])
    let gated = g.node("Pow", "gated", [positive, y])
    g.output(g.node("Pow", "rows", [gated, g.weight("e", [3], -2, 2)]))
    g.output(g.node("Pow", "based", [g.weight("base", [2, 1], 0.5, 2), y]))
    try assertCompiledMatchesReference(g.model())
  }

  /// Constant folding's integer powers: exact, by squaring, nil when they overflow or are negative.
  func testIntegerPowers() {
    XCTAssertEqual(ArithmeticOp.integer(.pow, 2, 10), 1024)
    XCTAssertEqual(ArithmeticOp.integer(.pow, -3, 3), -27)
    XCTAssertEqual(ArithmeticOp.integer(.pow, 0, 0), 1)
    XCTAssertEqual(ArithmeticOp.integer(.pow, 7, 1), 7)
    XCTAssertEqual(ArithmeticOp.integer(.pow, -2, 63), Int64.min)
    XCTAssertEqual(ArithmeticOp.integer(.pow, -1, Int64.max), -1)
    XCTAssertNil(ArithmeticOp.integer(.pow, 2, 63), "overflows")
    XCTAssertNil(ArithmeticOp.integer(.pow, 3, 40), "overflows")
    XCTAssertNil(ArithmeticOp.integer(.pow, 2, -1), "no integer result")
  }
}
