import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// Expand to a shape holding the batch: a Vision Transformer's class token,
/// `token.expand(N, -1, -1)`, concatenated in front of the patch embeddings.
final class ExpandBatchTests: XCTestCase {
  /// The TorchScript exporter's form: `Expand(token, Where(Equal(s, -1), 1, s))` with
  /// `s = [N, -1, -1]` from `Shape(x)`; then `Concat([token, x], axis 1)`.
  static func classToken() -> Model {
    let g = TestGraph("class_token")
    let x = g.input("x", ["N", 4, 8])
    let n = g.node("Gather", "gather", [g.node("Shape", "shape", [x]), g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    let s = g.node("Concat", "s", [g.node("Unsqueeze", "unsqueeze", [n, g.ints("axes0", [0])]), g.ints("minus_ones", [-1, -1])], ["axis": .int(0)])
    let isMinus = g.node("Equal", "eq", [s, g.ints("minus", [-1])])
    let target = g.node("Where", "where", [isMinus, g.ints("ones", [1, 1, 1]), s])
    let token = g.node("Expand", "expand", [g.weight("token", [1, 1, 8]), target])
    let joined = g.node("Concat", "cat", [token, x], ["axis": .int(1)])
    g.output(g.node("Add", "add", [joined, g.weight("position", [1, 5, 8])]))
    return g.model()
  }

  func testShapeHoldsTheBatch() throws {
    let context = try Compile.context(Self.classToken(), [ConstantFolding(), InferShapes()])
    XCTAssertEqual(context.shapes["expand"], ["N", 1, 8])
    XCTAssertEqual(context.shapes["cat"], ["N", 5, 8])
    let fixed = try Compile.context(Self.classToken(), [ConstantFolding()], batch: 3)
    XCTAssertEqual(fixed.graph.initializers["expand"]?.dims, [3, 1, 8], "a fixed batch folds it")
  }

  /// The shape chain goes before lowering; a constant step writes the token into every item.
  func testConstantBroadcastAlongTheBatch() throws {
    let compiled = try Pipeline.compile(Self.classToken())
    XCTAssertFalse(Compile.ops(compiled.graph).contains { ["Shape", "Gather", "Equal", "Where"].contains($0) }, "\(Compile.ops(compiled.graph))")
    let constants = compiled.plan.steps.filter { if case .constant = $0.kernel { true } else { false } }
    XCTAssertEqual(constants.count, 1, "\(compiled.plan.steps.map(\.kernel))")
    XCTAssertEqual(constants.first.map { if case .constant(let w) = $0.kernel { w.count } else { 0 } }, 8)
    try assertCompiledMatchesReference(Self.classToken())
  }

  /// A run-time value expanded along the batch and a constant shape both keep working, and both
  /// through the output's shape.
  func testRunTimeDataStillExpands() throws {
    let g = TestGraph("expand_runtime")
    let x = g.input("x", ["N", 1, 8])
    let e = g.node("Expand", "expand", [g.node("Relu", "relu", [x]), g.ints("shape", [3, 1])])
    g.output(g.node("Add", "add", [e, g.weight("b", [3, 8])]))
    try assertCompiledMatchesReference(g.model())
  }

  /// Run-time data without the batch broadcast along it is refused by name, not aliased.
  func testUnbatchedRunTimeValueAlongTheBatchIsRefused() throws {
    let g = TestGraph("expand_unbatched")
    let x = g.input("x", ["N", 4])
    let mean = g.node("ReduceMean", "mean", [x], ["axes": .ints([0]), "keepdims": .int(1)])
    let n = g.node("Gather", "gather", [g.node("Shape", "shape", [x]), g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    let s = g.node("Concat", "s", [g.node("Unsqueeze", "unsqueeze", [n, g.ints("axes0", [0])]), g.ints("four", [4])], ["axis": .int(0)])
    g.output(g.node("Add", "add", [g.node("Expand", "expand", [mean, s]), x]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) { error in
      XCTAssertTrue("\(error)".contains("without the batch") && "\(error)".contains("expand"), "\(error)")
    }
  }

  /// `ConstantOfShape([N, 2])` is batched too: a constant step fills every item.
  func testConstantOfShapeAlongTheBatch() throws {
    let g = TestGraph("constant_of_shape_batch")
    let x = g.input("x", ["N", 2])
    let n = g.node("Gather", "gather", [g.node("Shape", "shape", [x]), g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    let s = g.node("Concat", "s", [g.node("Unsqueeze", "unsqueeze", [n, g.ints("axes0", [0])]), g.ints("two", [2])], ["axis": .int(0)])
    let filled = g.node("ConstantOfShape", "fill", [s], ["value": .tensor(Tensor(floats: [1.5], dims: [1]))])
    g.output(g.node("Mul", "mul", [filled, x]))
    let plan = try Pipeline.compile(g.model()).plan
    XCTAssertTrue(plan.steps.contains { if case .constant(let w) = $0.kernel { w.count == 2 } else { false } }, "\(plan.steps.map(\.kernel))")
    try assertCompiledMatchesReference(g.model())
  }

  /// A shape computed from data cannot be known: refused naming the node.
  func testShapeFromDataIsRefused() throws {
    let g = TestGraph("expand_data_shape")
    let x = g.input("x", ["N", 3])
    let s = g.node("Cast", "cast", [g.node("ReduceMax", "max", [x], ["keepdims": .int(0)])], ["to": .int(7)])
    g.output(g.node("Expand", "expand", [g.weight("w", [1, 3]), g.node("Unsqueeze", "u", [s, g.ints("axes0", [0])])]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) { error in
      XCTAssertTrue("\(error)".contains("expand"), "\(error)")
    }
  }
}
