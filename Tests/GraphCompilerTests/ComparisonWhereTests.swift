import GraphIR
import GraphPlan
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// Equal/Less/Greater/LessOrEqual/GreaterOrEqual, Not/And/Or/Xor, Where and Mod: constant folding
/// on every element type (the exporters' shape plumbing folds away), run-time comparisons and
/// selects against the reference interpreter, and the refusals of what the runtime cannot hold.
final class ComparisonWhereTests: XCTestCase {
  /// The exporters' Expand plumbing, `Where(Equal(Shape(y), -1), 1, Shape(y))`, folds to a constant
  /// shape with a fixed batch, and with a symbolic one the answers that do not depend on the batch
  /// (a size is never -1) are decided, so the Reshape it feeds keeps `N` and nothing runs.
  func testShapeEqualWhereFolds() throws {
    func model() -> Model {
      let g = TestGraph("shape_where")
      let x = g.input("x", ["N", 3, 4])
      let shape = g.node("Shape", "shape", [x])
      let minusOnes = g.node("Mul", "negate", [g.node("ConstantOfShape", "ones", [g.ints("rank", [3])], ["value": .tensor(Tensor(int64s: [1], dims: [1]))]), g.ints("minus", [-1])])
      let isMinus = g.node("Equal", "eq", [shape, minusOnes])
      let target = g.node("Where", "where", [isMinus, g.ints("one", [1]), shape])
      g.output(g.node("Relu", "relu", [g.node("Reshape", "reshape", [x, target])]))
      return g.model()
    }
    let fixed = try Compile.context(model(), [ConstantFolding()], batch: 2)
    XCTAssertEqual(Compile.ops(fixed.graph), ["Reshape", "Relu"])
    XCTAssertEqual(fixed.graph.initializers["where"]?.int64s, [2, 3, 4])
    XCTAssertEqual(fixed.graph.initializers["eq"]?.dataType, .bool)
    let symbolic = try Compile.context(model(), [ConstantFolding()])
    XCTAssertEqual(symbolic.graph.initializers["eq"]?.int64s, [0, 0, 0], "decided without the batch")
    XCTAssertFalse(Compile.ops(symbolic.graph).contains("Equal"))
    let plan = try Pipeline.compile(model()).plan
    XCTAssertFalse(plan.steps.contains { if case .select = $0.kernel { true } else { false } }, "\(plan.steps.map(\.kernel))")
    try assertCompiledMatchesReference(model())
  }

  /// Folding on int64, bool, float32 and float64 constants, broadcast, NaN compared false.
  func testFoldingOnEveryElementType() throws {
    func folded(_ op: String, _ inputs: [Tensor], _ attributes: [String: Attribute] = [:]) throws -> Tensor {
      let node = Node(name: op, opType: op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["o"], attributes: attributes)
      return try OperatorRegistry.byOp[op]!.evaluate(EvaluationContext(node: node, opset: 17, inputs: inputs))[0]
    }
    let ints = Tensor(int64s: [-3, 0, 5, 7], dims: [4]), five = Tensor(int64s: [5], dims: [])
    XCTAssertEqual(try folded("Equal", [ints, five]), Tensor(dataType: .bool, dims: [4], storage: .integers([0, 0, 1, 0])))
    XCTAssertEqual(try folded("Less", [ints, five]).int64s, [1, 1, 0, 0])
    XCTAssertEqual(try folded("GreaterOrEqual", [ints, five]).int64s, [0, 0, 1, 1])
    let floats = Tensor(floats: [1, .nan, 3, -0.0], dims: [2, 2]), row = Tensor(floats: [1, .nan], dims: [2])
    XCTAssertEqual(try folded("Equal", [floats, row]).int64s, [1, 0, 0, 0], "NaN equals nothing")
    XCTAssertEqual(try folded("LessOrEqual", [floats, row]).int64s, [1, 0, 0, 0])
    XCTAssertEqual(try folded("Greater", [floats, row]).int64s, [0, 0, 1, 0])
    XCTAssertEqual(try folded("Equal", [Tensor(floats: [0], dims: [1]), Tensor(floats: [-0.0], dims: [1])]).int64s, [1])
    let d = Tensor(dataType: .double, dims: [2], storage: .doubles([1 + 1e-12, 2]))
    XCTAssertEqual(try folded("Greater", [d, Tensor(dataType: .double, dims: [], storage: .doubles([1]))]).int64s, [1, 1], "float64 compared in float64")
    let p = Tensor(dataType: .bool, dims: [4], storage: .integers([0, 0, 1, 1])), q = Tensor(dataType: .bool, dims: [4], storage: .integers([0, 1, 0, 1]))
    XCTAssertEqual(try folded("And", [p, q]).int64s, [0, 0, 0, 1])
    XCTAssertEqual(try folded("Or", [p, q]).int64s, [0, 1, 1, 1])
    XCTAssertEqual(try folded("Xor", [p, q]).int64s, [0, 1, 1, 0])
    XCTAssertEqual(try folded("Not", [p]), Tensor(dataType: .bool, dims: [4], storage: .integers([1, 1, 0, 0])))
    // Where keeps X's type and broadcasts all three.
    let picked = try folded("Where", [Tensor(dataType: .bool, dims: [2, 1], storage: .integers([1, 0])), ints, five])
    XCTAssertEqual(picked, Tensor(int64s: [-3, 0, 5, 7, 5, 5, 5, 5], dims: [2, 4]))
    XCTAssertEqual(try folded("Where", [p, Tensor(floats: [1, 2, 3, 4], dims: [4]), Tensor(scalar: .infinity)]).floats, [.infinity, .infinity, 3, 4])
    // Mod: Python's sign (the divisor's) by default, C's fmod with fmod=1.
    let a = Tensor(int64s: [-4, 7, 5, -5, 0], dims: [5]), b = Tensor(int64s: [3, -3, 2, -2, 7], dims: [5])
    XCTAssertEqual(try folded("Mod", [a, b]).int64s, [2, -2, 1, -1, 0])
    XCTAssertEqual(try folded("Mod", [a, b], ["fmod": .int(1)]).int64s, [-1, 1, 1, -1, 0])
    XCTAssertEqual(try folded("Mod", [Tensor(int64s: [Int64.min], dims: [1]), Tensor(int64s: [-1], dims: [1])]).int64s, [0])
    XCTAssertThrowsError(try folded("Mod", [a, Tensor(int64s: [0], dims: [])])) { XCTAssertTrue("\($0)".contains("by 0"), "\($0)") }
    let fm = try folded("Mod", [Tensor(floats: [-4.5, 7, 5.5, .infinity], dims: [4]), Tensor(floats: [2, -3, 0, 2], dims: [4])], ["fmod": .int(1)])
    XCTAssertEqual(fm.floats[0...1], [-0.5, 1])
    XCTAssertTrue(fm.floats[2].isNaN && fm.floats[3].isNaN, "\(fm.floats)")
  }

  /// Symbolic values: a size against a negative constant, a symbol against itself; undecided otherwise.
  func testDecidedOnSymbolicShapes() {
    let n = Dim.symbol("N")
    XCTAssertEqual(ComparisonOp.decided(.equal, [n, .fixed(3)], [.fixed(-1)]), [.fixed(0), .fixed(0)])
    XCTAssertEqual(ComparisonOp.decided(.greater, [n], [.fixed(-1)]), [.fixed(1)])
    XCTAssertEqual(ComparisonOp.decided(.lessOrEqual, [n], [n]), [.fixed(1)])
    XCTAssertNil(ComparisonOp.decided(.equal, [n], [.fixed(1)]))
    XCTAssertNil(ComparisonOp.decided(.equal, [n], [.symbol("M")]))
  }

  /// `x -> Greater(x, 0) -> Where(mask, x, 0.1 x)` (a leaky ReLU written with a mask), a run-time
  /// comparison against a run-time operand without the batch, logic on the masks, a constant mask,
  /// float Mod, and a bool Cast to float as an output: each against the reference at batch 1, 2, 3.
  func testRunTimeComparisonsAndSelects() throws {
    let g = TestGraph("runtime_where", seed: 3)
    let x = g.input("x", ["N", 3, 4, 5])
    let y = g.input("y", [1, 1, 4, 1])
    let mask = g.node("Greater", "positive", [x, g.scalar("zero", 0)])
    g.output(g.node("Where", "leaky", [mask, x, g.node("Mul", "scaled", [x, g.scalar("slope", 0.1)])]))
    let below = g.node("Less", "below", [x, y])
    let both = g.node("And", "both", [g.node("Not", "not", [mask]), below])
    let either = g.node("Xor", "either", [g.node("Or", "or", [both, g.node("Equal", "eq", [x, x])]), g.node("LessOrEqual", "le", [y, x])])
    g.output(g.node("Where", "picked", [either, g.scalar("fill", -7), y]))
    let constantMask = g.builder.constant("mask", Tensor(dataType: .bool, dims: [4, 1], storage: .integers([1, 0, 0, 1])))
    g.output(g.node("Where", "masked", [constantMask, x, y]))
    // A select of bools (a mask of masks), then cast to float for the output.
    g.output(g.node("Cast", "maskedFlags", [g.node("Where", "flags", [constantMask, g.node("GreaterOrEqual", "ge", [x, y]), below])], ["to": .int(1)]))
    g.output(g.node("Cast", "flag", [g.node("GreaterOrEqual", "ge2", [x, g.scalar("half", 0.5)])], ["to": .int(1)]))
    g.output(g.node("Mod", "mod", [x, g.weight("divisor", [5], 0.2, 0.7)], ["fmod": .int(1)]))
    let model = g.model()
    try assertCompiledMatchesReference(model)
    let kernels = try Pipeline.compile(model).plan.steps.map(\.kernel)
    XCTAssertEqual(kernels.filter { if case .select = $0 { true } else { false } }.count, 4, "\(kernels)")
  }

  /// A bool graph output computed at run time is a typed output: the plan records it, the runtime
  /// hands it out as one byte per element (0/1), and the float API refuses it by name.
  func testBoolOutputLeavesAsBytes() throws {
    let g = TestGraph("bool_output")
    let x = g.input("x", ["N", 3])
    g.output(g.node("Equal", "eq", [x, g.builder.constant("w", Tensor(floats: [0.5, 1, 2], dims: [3]))]))
    g.output(g.node("Relu", "relu", [x]))
    let compiled = try Pipeline.compile(g.model())
    XCTAssertEqual(compiled.plan.outputs.map(\.elementType), [.bool, .float32])
    let model = try CompiledModel(plan: compiled.plan, weights: compiled.weights)
    XCTAssertEqual(model.elementType(of: "eq"), .bool)
    let input = try FloatTensor(shape: [2, 3], values: [0.5, 5, 2, -1, 1, 7])
    let session = try model.makeSession()
    let outputs = try session.runTyped(["x": input])
    XCTAssertEqual(outputs["eq"]?.shape, [2, 3])
    XCTAssertEqual(outputs["eq"]?.bytes, [1, 0, 1, 0, 1, 0])
    XCTAssertEqual(try outputs["eq"]?.bools(), [true, false, true, false, true, false])
    XCTAssertEqual(try outputs["relu"]?.floats().values, [0.5, 5, 2, 0, 1, 7])
    XCTAssertThrowsError(try outputs["eq"]!.floats()) { error in
      XCTAssertTrue("\(error)".contains("bool values, not float32") && "\(error)".contains("bools()"), "\(error)")
    }
    XCTAssertThrowsError(try session.run(["x": input])) { error in
      XCTAssertTrue("\(error)".contains("output 'eq' is bool, not float32") && "\(error)".contains("runTyped"), "\(error)")
    }
    // Into kept tensors: the same bytes again, written in place.
    var kept = outputs
    try session.runTyped(["x": input], into: &kept)
    XCTAssertEqual(kept, outputs)
  }

  /// What the runtime cannot hold is refused by name: integer tensors computed at run time,
  /// fmod=0 on floats.
  func testRefusals() throws {
    let h = TestGraph("int_runtime")
    let i = h.input("i", ["N", 3])
    let cast = h.node("Cast", "toint", [i], ["to": .int(7)])
    h.output(h.node("Cast", "back", [h.node("Where", "w", [h.node("Less", "lt", [cast, h.ints("two", [2])]), cast, h.ints("nine", [9])])], ["to": .int(1)]))
    XCTAssertThrowsError(try Pipeline.compile(h.model())) { error in
      XCTAssertTrue("\(error)".contains("value 'toint'") && "\(error)".contains("int64"), "\(error)")
    }
    let f = TestGraph("float_mod")
    let z = f.input("z", ["N", 3])
    f.output(f.node("Mod", "mod", [z, f.scalar("three", 3)]))
    XCTAssertThrowsError(try Pipeline.compile(f.model())) { error in
      XCTAssertTrue("\(error)".contains("fmod=0") && "\(error)".contains("'mod'"), "\(error)")
    }
  }
}
