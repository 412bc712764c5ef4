import GraphIR
import GraphPlan
import GraphRuntime
import TestSupport
import XCTest

@testable import GraphCompiler

/// The batch is a symbol, not "dim 0 of everything": values without it are computed with their
/// whole fixed shapes, once per run; graph outputs that fold to constants are copied out of the weights.
final class ShapeModelTests: XCTestCase {
  /// Seeded inputs for `model` with every symbol of an input's shape set to `batch`.
  func inputs(_ model: Model, batch: Int, seed: UInt64 = 7) -> [String: FloatTensor] {
    var random = SeededRandom(seed: seed)
    var inputs: [String: FloatTensor] = [:]
    for input in model.graph.inputs {
      let dims = input.shape!.dims.map { $0.value ?? batch }
      inputs[input.name] = try! FloatTensor(shape: dims, values: random.floats(dims.reduce(1, *)))
    }
    return inputs
  }

  func assertMatchesReference(_ model: Model, _ compiled: Pipeline.Output, batch: Int, file: StaticString = #filePath, line: UInt = #line) throws {
    let feeds = inputs(model, batch: batch, seed: UInt64(batch) * 31)
    let expected = try ReferenceInterpreter.run(model, inputs: feeds)
    for threads in [1, 2] {
      let ours = try Compile.run(compiled, feeds, threads: threads)
      XCTAssertEqual(Set(ours.keys), Set(expected.keys), file: file, line: line)
      for (name, tensor) in expected {
        XCTAssertEqual(ours[name]?.shape, tensor.shape, "\(name)", file: file, line: line)
      }
      assertClose(ours, expected, "batch \(batch), \(threads) threads", file: file, line: line)
    }
  }

  /// A graph of fixed shapes whose dim 0 is no batch (a node test's form): Transpose and Concat
  /// of axis 0, an Add whose operands' leading dims differ, a mean to a scalar. Each value keeps
  /// its own shape, and so do the plan's inputs and outputs (no invented leading 1).
  func testFixedShapesCompileWithTheirOwnShapes() throws {
    let g = TestGraph("fixed")
    let x = g.input("x", [3, 4])
    let y = g.input("y", [4])
    g.output(g.node("Transpose", "transpose", [x], ["perm": .ints([1, 0])]))
    g.output(g.node("Concat", "concat", [x, g.node("Relu", "relu", [x])], ["axis": .int(0)]))
    g.output(g.node("Add", "add", [x, y]))
    g.output(g.node("ReduceMean", "mean", [x], ["keepdims": .int(0)]))
    let model = g.model()
    let compiled = try Pipeline.compile(model)
    let plan = compiled.plan
    XCTAssertEqual(plan.inputs.map { $0.shape(batch: 1) }, [[3, 4], [4]])
    XCTAssertEqual(plan.outputs.map { $0.shape(batch: 1) }, [[4, 3], [6, 4], [3, 4], []])
    XCTAssertEqual(plan.arenaFloatsPerItem, 0, "nothing has a batch")
    XCTAssertTrue(plan.steps.allSatisfy { !$0.output.isBatched })
    let runtime = try CompiledModel(plan: plan, weights: compiled.weights)
    XCTAssertEqual(runtime.shape(of: "y", batch: 5), [4])
    XCTAssertFalse(runtime.hasBatch("x"))
    try assertMatchesReference(model, compiled, batch: 1)
  }

  /// A fixed-shape graph whose first leading dim equals another value's (a constant [3, 4, 5]
  /// added to an input [3, 4, 5]): the constant is not split along a batch.
  func testConstantWithTheLeadingDimOfTheInput() throws {
    let g = TestGraph("same_leading")
    let x = g.input("x", [3, 4, 5])
    g.output(g.node("Add", "add", [x, g.weight("k", [3, 4, 5])]))
    g.output(g.node("Mul", "mul", [g.weight("j", [3, 1, 5]), x]))
    let model = g.model()
    try assertMatchesReference(model, try Pipeline.compile(model), batch: 1)
  }

  /// A batched input plus values without the batch: an input of fixed shape, transformed once
  /// per run (its steps run one item, in the arena's fixed region), then broadcast onto every
  /// batch item, whether it lines up with the batch axis ([1, 3, 4]) or not ([4]).
  func testBatchedAndUnbatchedValuesBroadcast() throws {
    let g = TestGraph("mixed")
    let x = g.input("x", ["N", 3, 4])
    let bias = g.input("bias", [4])
    let gate = g.input("gate", [1, 3, 4])
    let shifted = g.node("Relu", "relu_bias", [bias])
    g.output(g.node("Add", "add", [x, shifted]))
    g.output(g.node("Mul", "mul", [g.node("Sigmoid", "sigmoid", [gate]), x]))
    g.output(g.node("Sub", "sub", [shifted, x]))
    let model = g.model()
    let compiled = try Pipeline.compile(model)
    XCTAssertNil(compiled.plan.fixedBatch)
    let relu = try XCTUnwrap(compiled.plan.steps.first { $0.name == "relu_bias" })
    XCTAssertFalse(relu.output.isBatched, "computed once per run, not per batch item")
    XCTAssertGreaterThan(compiled.plan.arenaFixedFloats, 0)
    XCTAssertEqual(compiled.plan.inputs.map { $0.shape(batch: 2) }, [[2, 3, 4], [4], [1, 3, 4]])
    for batch in [1, 3] { try assertMatchesReference(model, compiled, batch: batch) }
  }

  /// A value that moves the batch off its leading axis is refused by name, saying why.
  func testBatchOffTheLeadingAxisIsRefusedClearly() throws {
    let g = TestGraph("moved")
    let x = g.input("x", ["N", 3])
    g.output(g.node("Transpose", "transpose", [x], ["perm": .ints([1, 0])]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) { error in
      XCTAssertTrue("\(error)".contains("value 'transpose': shape [3, N]: the batch N is not its leading dimension alone"), "\(error)")
    }
  }

  /// Graph outputs that fold to constants: float ones are written by a step from the weights
  /// (at every batch), integer ones are refused by name.
  func testConstantOutputs() throws {
    let g = TestGraph("constant_out")
    let x = g.input("x", ["N", 2])
    g.output(g.node("Relu", "relu", [x]))
    g.builder.node("Constant", name: "k", inputs: [], outputs: ["k"], attributes: ["value": .tensor(Tensor(floats: [1, -2, 3], dims: [3]))])
    g.output("k")
    let model = g.model()
    let compiled = try Pipeline.compile(model)
    XCTAssertTrue(compiled.plan.steps.contains { if case .constant = $0.kernel { return true } else { return false } })
    for batch in [1, 2] {
      let out = try Compile.run(compiled, inputs(model, batch: batch), threads: 1)
      XCTAssertEqual(out["k"]?.shape, [3])
      XCTAssertEqual(out["k"]?.values, [1, -2, 3])
    }

    let i = TestGraph("integer_out")
    i.output(i.node("Relu", "relu", [i.input("x", ["N", 2])]))
    i.builder.node("Constant", name: "s", inputs: [], outputs: ["s"], attributes: ["value": .tensor(Tensor(int64s: [1, 2], dims: [2]))])
    i.output("s")
    // An integer constant output is held by the plan and leaves the runtime as its own type.
    let integer = try Pipeline.compile(i.model())
    XCTAssertEqual(integer.plan.outputs.last, .constant(name: "s", shape: [2], elementType: .int64, values: [1, 2]))
    let session = try CompiledModel(plan: integer.plan, weights: integer.weights).makeSession()
    let typed = try session.runTyped(["x": try FloatTensor(shape: [3, 2], values: [1, -1, 2, -2, 3, -3])])
    XCTAssertEqual(typed["s"]?.shape, [2])
    XCTAssertEqual(try typed["s"]?.int64s(), [1, 2])
    XCTAssertEqual(try typed["relu"]?.floats().values, [1, 0, 2, 0, 3, 0])
    XCTAssertThrowsError(try typed["s"]!.int32s())

    // A constant of an integer type the plan does not hold is refused by name.
    let u = TestGraph("uint8_out")
    u.output(u.node("Relu", "relu", [u.input("x", ["N", 2])]))
    u.builder.node("Constant", name: "s", inputs: [], outputs: ["s"], attributes: ["value": .tensor(Tensor(dataType: .uint8, dims: [2], storage: .integers([1, 2])))])
    u.output("s")
    XCTAssertThrowsError(try Pipeline.compile(u.model())) { error in
      XCTAssertTrue("\(error)".contains("output 's': is a constant uint8 tensor; plan outputs are float32, bool, int64 or int32"), "\(error)")
    }
  }

  /// A plan with only constant outputs and no inputs at all runs (batch 1).
  func testGraphWithoutInputs() throws {
    let g = TestGraph("no_inputs")
    g.builder.node("Constant", name: "k", inputs: [], outputs: ["k"], attributes: ["value": .tensor(Tensor(floats: [4, 5], dims: [1, 2]))])
    g.output("k")
    let compiled = try Pipeline.compile(g.model())
    let out = try Compile.run(compiled, [:], threads: 1)
    XCTAssertEqual(out["k"]?.shape, [1, 2])
    XCTAssertEqual(out["k"]?.values, [4, 5])
  }

  /// A value with a 0 in its shape holds nothing, so it is a constant: an empty input folds into
  /// the reductions over it (their identities), a Slice past the end is an empty output, and a
  /// Split's empty part is dropped by the Concat that reads it. Empty inputs and outputs keep their
  /// shapes in the plan and the runtime reads and writes no values for them.
  func testEmptyTensorsAreConstants() throws {
    let g = TestGraph("empty")
    let x = g.input("x", [3, 4])
    let e = g.input("e", [2, 0, 4])
    g.output(g.node("ReduceSum", "sum", [e, g.ints("axis1", [1])], ["keepdims": .int(1)]))
    g.output(g.node("ReduceMax", "max", [e], ["axes": .ints([1]), "keepdims": .int(0)]))
    g.output(g.node("Slice", "gone", [x, g.ints("s", [5]), g.ints("t", [10]), g.ints("a", [1])]))
    g.builder.node("Split", name: "split", inputs: [x, g.ints("sizes", [4, 0])], outputs: ["left", "nothing"], attributes: ["axis": .int(1)])
    g.output(g.node("Concat", "cat", [g.node("Relu", "relu", ["left"]), "nothing"], ["axis": .int(1)]))
    // A KV cache's first step: an empty past before the new keys. An empty input may be an output too.
    let new = g.input("new", [2, 3, 4])
    g.output(g.node("Concat", "keys", [e, g.node("Relu", "relu_new", [new])], ["axis": .int(1)]))
    g.output(e)
    let compiled = try Pipeline.compile(g.model())
    XCTAssertEqual(compiled.plan.inputs.map(\.isEmpty), [false, true, false])
    XCTAssertEqual(compiled.plan.outputs.map(\.isEmpty), [false, false, true, false, false, true])

    let values: [Float] = [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]
    let newKeys = (0..<24).map { Float($0) - 12 }
    let feeds = [
      "x": try FloatTensor(shape: [3, 4], values: values), "e": try FloatTensor(shape: [2, 0, 4], values: []),
      "new": try FloatTensor(shape: [2, 3, 4], values: newKeys),
    ]
    for threads in [1, 2] {
      let out = try Compile.run(compiled, feeds, threads: threads)
      XCTAssertEqual(out["sum"]?.shape, [2, 1, 4])
      XCTAssertEqual(out["sum"]?.values, [Float](repeating: 0, count: 8))
      XCTAssertEqual(out["max"]?.values, [Float](repeating: -.infinity, count: 8), "a max over nothing is -inf")
      XCTAssertEqual(out["gone"]?.shape, [3, 0])
      XCTAssertEqual(out["gone"]?.values, [])
      XCTAssertEqual(out["cat"]?.values, values.map { max($0, 0) })
      XCTAssertEqual(out["keys"]?.values, newKeys.map { max($0, 0) })
      XCTAssertEqual(out["e"]?.shape, [2, 0, 4])
    }
    let session = try CompiledModel(plan: compiled.plan, weights: compiled.weights).makeSession()
    XCTAssertEqual(try session.runTyped(feeds)["gone"]?.shape, [3, 0])
    XCTAssertThrowsError(try session.run(["x": feeds["x"]!, "new": feeds["new"]!, "e": try FloatTensor(shape: [2, 1, 4], values: [Float](repeating: 0, count: 8))])) {
      XCTAssertTrue("\($0)".contains("input 'e' has shape [2, 1, 4], expected [2, 0, 4]"), "\($0)")
    }
    // Written and read back, the plan keeps its empty bindings.
    let data = try compiled.plan.serialized(weights: compiled.weights)
    let decoded = try data.withUnsafeBytes { try PlanReader.decode($0, source: "empty") }.plan
    XCTAssertEqual(decoded.inputs, compiled.plan.inputs)
    XCTAssertEqual(decoded.outputs, compiled.plan.outputs)

  }

  /// Integer reductions over nothing give the type's own extremes (the spec's "minimum value of
  /// the data type" where there is no -inf): a bool max is false, an int32 max Int32.min.
  func testEmptyIntegerReductionsKeepTheirType() throws {
    let g = TestGraph("empty_integers")
    let x = g.input("x", [2])
    g.output(g.node("Relu", "relu", [x]))
    let flags = g.builder.constant("flags", Tensor(dataType: .bool, dims: [2, 0], storage: .integers([])))
    let counts = g.builder.constant("counts", Tensor(dataType: .int32, dims: [2, 0], storage: .integers([])))
    g.output(g.node("ReduceMax", "any", [flags], ["axes": .ints([1]), "keepdims": .int(0)]))
    g.output(g.node("ReduceMin", "all", [flags], ["axes": .ints([1]), "keepdims": .int(0)]))
    g.output(g.node("ReduceMax", "most", [counts], ["axes": .ints([1]), "keepdims": .int(0)]))
    g.output(g.node("ReduceMin", "least", [counts], ["axes": .ints([1]), "keepdims": .int(0)]))
    let compiled = try Pipeline.compile(g.model())
    let session = try CompiledModel(plan: compiled.plan, weights: compiled.weights).makeSession()
    let out = try session.runTyped(["x": try FloatTensor(shape: [2], values: [1, -1])])
    XCTAssertEqual(try out["any"]?.bools(), [false, false])
    XCTAssertEqual(try out["all"]?.bools(), [true, true])
    XCTAssertEqual(try out["most"]?.int32s(), [Int32.min, Int32.min])
    XCTAssertEqual(try out["least"]?.int32s(), [Int32.max, Int32.max])
  }
}
