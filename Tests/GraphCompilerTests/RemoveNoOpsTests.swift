import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

final class RemoveNoOpsTests: XCTestCase {
  /// Dropout and Identity disappear; the graph output keeps its name, now made by the Gemm.
  func testDropoutAndIdentityAreRemovedKeepingTheOutputName() throws {
    let context = try Compile.context(TestGraphs.gemmRelu(), [RemoveNoOps()])
    XCTAssertEqual(Compile.ops(context.graph), ["Flatten", "Gemm", "Relu", "Gemm"])
    XCTAssertEqual(context.graph.outputs.map(\.name), ["identity"])
    XCTAssertEqual(context.graph.nodes.last?.outputs, ["identity"])
    XCTAssertEqual(context.graph.nodes.last?.inputs.first, "relu", "fc2 reads the Relu directly")
    XCTAssertEqual(context.shapes["identity"], ["N", 3])
  }

  /// A no-op between a graph input and a graph output has nothing to rename: it is compiled as a copy.
  func testNoOpFromInputToOutputCompilesAsACopy() throws {
    for op in ["Identity", "Dropout"] {
      let g = TestGraph("passthrough")
      let x = g.input("x", ["N", 3])
      g.output(g.node(op, "noop", [x]))
      let model = g.model()
      let compiled = try Pipeline.compile(model)
      XCTAssertEqual(compiled.plan.steps.map(\.kernel), [.copy], op)
      let inputs = Compile.randomInputs(model, batch: 2, seed: 1)
      XCTAssertEqual(try Compile.run(compiled, inputs, threads: 1)["noop"], inputs["x"], op)
    }
  }

  /// A Dropout whose mask is read stays: a copy, and the mask, all true at inference (ONNX's
  /// reference gives the same), in every batch item. Training mode is still refused.
  func testDropoutMaskInUseIsAllTrue() throws {
    let g = TestGraph("mask")
    let x = g.input("x", ["N", 3])
    let outs = g.builder.node("Dropout", name: "dropout", inputs: [x], outputs: ["y", "mask"])
    g.output(outs[0])
    g.output(g.node("Not", "unmasked", [outs[1]]))
    g.output(outs[1])
    let compiled = try Pipeline.compile(g.model())
    XCTAssertEqual(compiled.plan.steps.filter { if case .constant = $0.kernel { true } else { false } }.count, 1)
    XCTAssertEqual(compiled.plan.outputs.map(\.elementType), [.float32, .bool, .bool])
    let inputs = Compile.randomInputs(g.model(), batch: 3, seed: 5)
    let session = try CompiledModel(plan: compiled.plan, weights: compiled.weights).makeSession(threads: 2)
    let outputs = try session.runTyped(inputs)
    XCTAssertEqual(try outputs["y"]?.floats(), inputs["x"])
    XCTAssertEqual(outputs["mask"]?.shape, [3, 3])
    XCTAssertEqual(try outputs["mask"]?.bools(), [Bool](repeating: true, count: 9))
    XCTAssertEqual(try outputs["unmasked"]?.bools(), [Bool](repeating: false, count: 9))

    // A fixed shape (no batch symbol): the constant holds every item's ones.
    let f = TestGraph("fixed-mask")
    let fixed = f.builder.node("Dropout", name: "dropout", inputs: [f.input("v", [2, 3, 2])], outputs: ["u", "fixed_mask"])
    f.output(fixed[1])
    let plan = try Pipeline.compile(f.model())
    let values = try FloatTensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
    let typed = try CompiledModel(plan: plan.plan, weights: plan.weights).makeSession().runTyped(["v": values])
    XCTAssertEqual(try typed["fixed_mask"]?.bools(), [Bool](repeating: true, count: 12))

    let t = TestGraph("training")
    let z = t.input("z", ["N", 3])
    let training = t.builder.constant("training", Tensor(dataType: .bool, dims: [], storage: .integers([1])))
    let drop = t.builder.node("Dropout", name: "dropout", inputs: [z, "", training], outputs: ["w", "m"])
    t.output(drop[0])
    t.output(drop[1])
    XCTAssertThrowsError(try Pipeline.compile(t.model())) { error in
      XCTAssertTrue("\(error)".contains("training mode"), "\(error)")
    }

    // In training mode with a ratio of 0 it drops nothing: the identity and an all-true mask.
    let r = TestGraph("training-ratio-0")
    let rz = r.input("z", [2, 3])
    let on = r.builder.constant("training", Tensor(dataType: .bool, dims: [], storage: .integers([1])))
    let kept = r.builder.node("Dropout", name: "dropout", inputs: [rz, r.scalar("ratio", 0), on], outputs: ["w", "m"])
    r.output(kept[0])
    r.output(kept[1])
    let zero = try Pipeline.compile(r.model(opset: 13))
    let input = try FloatTensor(shape: [2, 3], values: [1, -2, 3, -4, 5, -6])
    let out = try CompiledModel(plan: zero.plan, weights: zero.weights).makeSession().runTyped(["z": input])
    XCTAssertEqual(try out["w"]?.floats().values, input.values)
    XCTAssertEqual(try out["m"]?.bools(), [Bool](repeating: true, count: 6))
  }
}
