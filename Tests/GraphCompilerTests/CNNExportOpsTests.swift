import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// The ops CNN exports reach for beyond the usual conv stack (issue 9): InstanceNormalization,
/// Floor/Ceil/Round, Size, ReduceL1 and ReduceLogSum, on values worked out by hand, through the
/// compiled plan and the reference interpreter.
final class CNNExportOpsTests: XCTestCase {
  /// `op` on `x` ([N, count] with N symbolic, run at batch 1), compiled and by the reference interpreter.
  func run(_ op: String, _ x: [Float], _ attributes: [String: Attribute] = [:], extra: (TestGraph) -> [String] = { _ in [] },
           opset: Int = 13) throws -> (compiled: [Float], reference: [Float]) {
    let g = TestGraph(op.lowercased())
    g.input("x", ["N", .fixed(x.count)])
    g.output(g.node(op, "out", ["x"] + extra(g), attributes))
    let model = g.model(opset: opset)
    let inputs = ["x": try FloatTensor(shape: [1, x.count], values: x)]
    let compiled = try Compile.run(try Pipeline.compile(model), inputs, threads: 1)["out"]?.values ?? []
    let reference = try ReferenceInterpreter.run(model, inputs: inputs)["out"]?.values ?? []
    return (compiled, reference)
  }

  /// Equal values and, for zeros, equal signs (Round(-0.3) is -0).
  func assertSame(_ got: [Float], _ want: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got, want, what, file: file, line: line)
    XCTAssertEqual(got.map(\.sign), want.map(\.sign), "\(what): signs", file: file, line: line)
  }

  /// Halves (ties go to the even neighbour for Round), negatives, -0, a float beyond 2^23 with
  /// no fraction and the infinities.
  func testFloorCeilRound() throws {
    let x: [Float] = [2.5, -2.5, 1.5, -0.3, 0.5, -1.7, 3, -0.0, 8_388_609, -.infinity, 0.49999997, -3.5, .infinity, 7.25, -6.75, 1e-3, 42]
    let cases: [(String, [Float])] = [
      ("Floor", [2, -3, 1, -1, 0, -2, 3, -0.0, 8_388_609, -.infinity, 0, -4, .infinity, 7, -7, 0, 42]),
      ("Ceil", [3, -2, 2, -0.0, 1, -1, 3, -0.0, 8_388_609, -.infinity, 1, -3, .infinity, 8, -6, 1, 42]),
      ("Round", [2, -2, 2, -0.0, 0, -2, 3, -0.0, 8_388_609, -.infinity, 0, -4, .infinity, 7, -7, 0, 42]),
    ]
    for (op, expected) in cases {
      let r = try run(op, x, opset: 11)
      assertSame(r.compiled, expected, "\(op), compiled")
      assertSame(r.reference, expected, "\(op), reference")
    }
    let nan = try run("Round", [.nan, 1.5])
    XCTAssertTrue(nan.compiled[0].isNaN && nan.reference[0].isNaN, "NaN stays NaN")
  }

  /// A rounding op fused as a conv's epilogue (it is one plan activation) matches the reference.
  func testRoundFusesAfterConv() throws {
    let g = TestGraph("conv_floor", seed: 5)
    let conv = g.conv("conv", g.input("x", ["N", 3, 6, 6]), 3, 4, k: 3, pad: 1)
    g.output(g.node("Floor", "floor", [g.node("Mul", "scaled", [conv, g.scalar("ten", 10)])]))
    try assertCompiledMatchesReference(g.model())
  }

  /// ONNX's own example (channels [-1, 0, 1] and [2, 3, 4]) and a second item, under a symbolic batch.
  func testInstanceNormalization() throws {
    let g = TestGraph("instancenorm")
    g.input("x", ["N", 2, 1, 3])
    let scale = g.builder.constant("scale", Tensor(floats: [1, 1.5], dims: [2]))
    let bias = g.builder.constant("bias", Tensor(floats: [0, 1], dims: [2]))
    g.output(g.node("InstanceNormalization", "in", ["x", scale, bias], ["epsilon": .float(1e-5)]))
    let model = g.model(opset: 6)
    let values: [Float] = [-1, 0, 1, 2, 3, 4, 10, 10, 10, 0, 0, 6]
    let inputs = ["x": try FloatTensor(shape: [2, 2, 1, 3], values: values)]
    // Variance 2/3 for the first three planes' spreads ([-1, 0, 1] and [2, 3, 4]); 0 for [10, 10, 10]; 8 for [0, 0, 6].
    let a = 1 / (2.0 / 3 + 1e-5).squareRoot(), b = 1 / (8.0 + 1e-5).squareRoot()
    let expected: [Double] = [-a, 0, a, 1.5 * -a + 1, 1, 1.5 * a + 1, 0, 0, 0, 1.5 * -2 * b + 1, 1.5 * -2 * b + 1, 1.5 * 4 * b + 1]
    let compiled = try Compile.run(try Pipeline.compile(model), inputs, threads: 2)["in"]?.values ?? []
    let reference = try ReferenceInterpreter.run(model, inputs: inputs)["in"]?.values ?? []
    XCTAssertEqual(compiled.count, 12)
    for (i, want) in expected.enumerated() {
      XCTAssertEqual(compiled[i], Float(want), accuracy: 2e-6, "compiled[\(i)]")
      XCTAssertEqual(reference[i], Float(want), accuracy: 1e-6, "reference[\(i)]")
    }
  }

  /// After a conv, on a 2-D and a 3-D (rank 5) input, at batch 1, 2 and 3, against the reference.
  func testInstanceNormalizationMatchesReference() throws {
    let g = TestGraph("conv_instancenorm", seed: 9)
    let conv = g.conv("conv", g.input("x", ["N", 3, 9, 7]), 3, 5, k: 3, pad: 1)
    let normalized = g.node("InstanceNormalization", "in", [conv, g.weight("scale", [5], 0.5, 2), g.weight("bias", [5])])
    g.output(g.node("Relu", "relu", [normalized]))
    try assertCompiledMatchesReference(g.model())
    let volume = TestGraph("instancenorm_3d", seed: 10)
    volume.input("x", ["N", 4, 3, 5, 6])
    volume.output(volume.node("InstanceNormalization", "in", ["x", volume.weight("scale", [4]), volume.weight("bias", [4])], ["epsilon": .float(0.01)]))
    try assertCompiledMatchesReference(volume.model())
  }

  func testInstanceNormalizationRefusals() throws {
    let computed = TestGraph("instancenorm_input_scale")
    computed.input("x", ["N", 2, 4, 4])
    computed.input("scale", [2])
    computed.output(computed.node("InstanceNormalization", "in_node", ["x", "scale", computed.weight("bias", [2])]))
    XCTAssertThrowsError(try Pipeline.compile(computed.model())) {
      XCTAssertTrue("\($0)".contains("in_node") && "\($0)".contains("scale (input 1, 'scale') must be a constant"), "\($0)")
    }
    let wrong = TestGraph("instancenorm_wrong_scale")
    wrong.input("x", ["N", 2, 4, 4])
    wrong.output(wrong.node("InstanceNormalization", "in_node", ["x", wrong.weight("scale", [3]), wrong.weight("bias", [2])]))
    XCTAssertThrowsError(try Pipeline.compile(wrong.model())) { XCTAssertTrue("\($0)".contains("scale has shape 3, expected [2]"), "\($0)") }
    let flat = TestGraph("instancenorm_rank2")
    flat.input("x", ["N", 2])
    flat.output(flat.node("InstanceNormalization", "in_node", ["x", flat.weight("scale", [2]), flat.weight("bias", [2])]))
    XCTAssertThrowsError(try Pipeline.compile(flat.model())) { XCTAssertTrue("\($0)".contains("rank 3 or more"), "\($0)") }
  }

  /// x = [[1, -2, 3], [-4, 5, 0.5]] reduced along axis 1 and across both axes.
  func testReduceL1AndLogSum() throws {
    func reduce(_ op: String, axes: [Int]?, keep: Int = 1) throws -> (compiled: [Float], reference: [Float]) {
      let g = TestGraph(op.lowercased())
      g.input("x", ["N", 2, 3])
      g.output(g.node(op, "out", ["x"], ["keepdims": .int(keep)].merging(axes.map { ["axes": .ints($0)] } ?? [:]) { $1 }))
      let model = g.model(opset: 13)
      let inputs = ["x": try FloatTensor(shape: [1, 2, 3], values: [1, -2, 3, -4, 5, 0.5])]
      return (try Compile.run(try Pipeline.compile(model), inputs, threads: 1)["out"]?.values ?? [],
              try ReferenceInterpreter.run(model, inputs: inputs)["out"]?.values ?? [])
    }
    let l1 = try reduce("ReduceL1", axes: [2])
    XCTAssertEqual(l1.compiled, [6, 9.5])
    XCTAssertEqual(l1.reference, [6, 9.5])
    let l1Rows = try reduce("ReduceL1", axes: [1], keep: 0)
    XCTAssertEqual(l1Rows.compiled, [5, 7, 3.5], "along a middle axis (transposed first)")
    XCTAssertEqual(l1Rows.reference, [5, 7, 3.5])
    // log(1 - 2 + 3) = log 2; log(-4 + 5 + 0.5) = log 1.5; across both: log 3.5.
    let logSum = try reduce("ReduceLogSum", axes: [2])
    for r in [logSum.compiled, logSum.reference] {
      XCTAssertEqual(r[0], Float(log(2.0)), accuracy: 1e-7)
      XCTAssertEqual(r[1], Float(log(1.5)), accuracy: 1e-7)
    }
    let both = try reduce("ReduceLogSum", axes: [1, 2])
    XCTAssertEqual(both.compiled[0], Float(log(3.5)), accuracy: 1e-7)
    XCTAssertEqual(both.reference[0], Float(log(3.5)), accuracy: 1e-7)
    // A negative sum has no logarithm: NaN, as onnxruntime gives.
    let negative = try run("ReduceLogSum", [-1, -2], ["axes": .ints([1])])
    XCTAssertTrue(negative.compiled[0].isNaN && negative.reference[0].isNaN, "\(negative)")
  }

  /// Size folds from a fixed shape; under a symbolic batch its value `N*4` still resolves a
  /// Reshape's target through shape arithmetic, and is refused where a step would need it.
  func testSize() throws {
    let fixed = TestGraph("size_fixed")
    fixed.input("x", [2, 3])
    let size = fixed.node("Cast", "count", [fixed.node("Size", "size", ["x"])], ["to": .int(1)])
    fixed.output(fixed.node("Add", "out", ["x", size]))
    let model = fixed.model()
    let output = try Pipeline.compile(model)
    XCTAssertFalse(output.plan.steps.isEmpty)
    let inputs = ["x": try FloatTensor(shape: [2, 3], values: [0, 1, 2, 3, 4, 5])]
    XCTAssertEqual(try Compile.run(output, inputs, threads: 1)["out"]?.values, [6, 7, 8, 9, 10, 11])
    XCTAssertEqual(try ReferenceInterpreter.run(model, inputs: inputs)["out"]?.values, [6, 7, 8, 9, 10, 11])

    // Reshape(x [N, 4], [Size(x) / 4, 2, 2]): the Size is N*4, so the target is [N, 2, 2].
    let symbolic = TestGraph("size_symbolic")
    symbolic.input("x", ["N", 4])
    let items = symbolic.node("Div", "items", [symbolic.node("Size", "size", ["x"]), symbolic.builder.constant("four", Tensor(int64s: [4], dims: []))])
    let target = symbolic.node("Concat", "target", [symbolic.node("Unsqueeze", "items1", [items, symbolic.ints("zero", [0])]), symbolic.ints("rest", [2, 2])], ["axis": .int(0)])
    symbolic.output(symbolic.node("Reshape", "out", ["x", target]))
    let batched = try Pipeline.compile(symbolic.model())
    XCTAssertNil(batched.plan.fixedBatch)
    let two = try FloatTensor(shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8])
    let result = try Compile.run(batched, ["x": two], threads: 1)["out"]
    XCTAssertEqual(result?.shape, [2, 2, 2])
    XCTAssertEqual(result?.values, [1, 2, 3, 4, 5, 6, 7, 8])

    let runtime = TestGraph("size_runtime")
    runtime.input("x", ["N", 4])
    let count = runtime.node("Cast", "count", [runtime.node("Size", "size_node", ["x"])], ["to": .int(1)])
    runtime.output(runtime.node("Add", "out", ["x", count]))
    XCTAssertThrowsError(try Pipeline.compile(runtime.model())) {
      XCTAssertTrue("\($0)".contains("size_node") && "\($0)".contains("is int64 and not known at compile time"), "\($0)")
    }
  }
}
