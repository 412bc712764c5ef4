import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// Sign, IsNaN and IsInf: folded on every element type, and at run time as activations.
final class NumberClassTests: XCTestCase {
  func folded(_ op: String, _ x: Tensor, _ attributes: [String: Attribute] = [:]) throws -> Tensor {
    let node = Node(name: op, opType: op, inputs: ["x"], outputs: ["o"], attributes: attributes)
    return try OperatorRegistry.byOp[op]!.evaluate(EvaluationContext(node: node, opset: 20, inputs: [x]))[0]
  }

  func testFoldsOnEveryElementType() throws {
    let floats = Tensor(floats: [-2, 0, 3, .nan, .infinity, -.infinity], dims: [6])
    let sign = try folded("Sign", floats)
    XCTAssertEqual(sign.dataType, .float)
    XCTAssertEqual(Array(sign.floats.prefix(3)) + sign.floats.suffix(2), [-1, 0, 1, 1, -1])
    XCTAssertTrue(sign.floats[3].isNaN)
    XCTAssertEqual(try folded("IsNaN", floats), Tensor(dataType: .bool, dims: [6], storage: .integers([0, 0, 0, 1, 0, 0])))
    XCTAssertEqual(try folded("IsInf", floats).int64s, [0, 0, 0, 0, 1, 1])
    XCTAssertEqual(try folded("IsInf", floats, ["detect_negative": .int(0)]).int64s, [0, 0, 0, 0, 1, 0])
    XCTAssertEqual(try folded("IsInf", floats, ["detect_positive": .int(0)]).int64s, [0, 0, 0, 0, 0, 1])
    let ints = Tensor(int64s: [-7, 0, 9], dims: [3])
    XCTAssertEqual(try folded("Sign", ints), Tensor(int64s: [-1, 0, 1], dims: [3]))
    XCTAssertEqual(try folded("IsNaN", ints).dataType, .bool)
    XCTAssertEqual(try folded("IsInf", ints).int64s, [0, 0, 0])
    let doubles = Tensor(dataType: .double, dims: [3], storage: .doubles([-.infinity, 2, .nan]))
    XCTAssertEqual(try folded("Sign", doubles).dataType, .double)
    XCTAssertEqual(try folded("IsInf", doubles, ["detect_negative": .int(0)]).int64s, [0, 0, 0])
    XCTAssertEqual(try folded("IsNaN", doubles).int64s, [0, 0, 1])
  }

  /// `x * [1, inf, -inf, 2, 0, -1]` has infinities of either sign, its difference with itself NaNs
  /// there: IsInf, IsNaN (bools as 0/1 through Cast) and Sign against the reference interpreter.
  func testRunTime() throws {
    let g = TestGraph("number_class")
    let x = g.input("x", ["N", 6])
    let c = g.builder.constant("c", Tensor(floats: [1, .infinity, -.infinity, 2, 0, -1], dims: [6]))
    let y = g.node("Mul", "y", [x, c])
    let nan = g.node("Sub", "z", [y, y])
    let inf = g.node("Cast", "inf01", [g.node("IsInf", "isinf", [y], ["detect_negative": .int(0)])], ["to": .int(1)])
    let isNaN = g.node("Cast", "nan01", [g.node("IsNaN", "isnan", [nan])], ["to": .int(1)])
    let sum = g.node("Add", "a", [g.node("Add", "b", [inf, g.node("Mul", "m", [isNaN, g.scalar("two", 2)])]), g.node("Mul", "n", [g.node("Sign", "sign", [y]), g.scalar("four", 4)])])
    g.output(sum)
    let plan = try Pipeline.compile(g.model(opset: 20)).plan
    let activations = plan.steps.compactMap { step -> String? in if case .activation(let a) = step.kernel { "\(a)" } else { nil } }
    XCTAssertTrue(activations.contains { $0.contains("isNaN") } && activations.contains { $0.contains("sign") }, "\(plan.steps.map(\.kernel))")
    try assertCompiledMatchesReference(g.model(opset: 20))
  }

  func testBoolInputIsRefused() throws {
    let g = TestGraph("sign_bool")
    let x = g.input("x", ["N", 3])
    g.output(g.node("Cast", "c", [g.node("Sign", "sign", [g.node("Greater", "gt", [x, g.scalar("zero", 0)])])], ["to": .int(1)]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) { XCTAssertTrue("\($0)".contains("'sign'") && "\($0)".contains("bool"), "\($0)") }
  }
}
