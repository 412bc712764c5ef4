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

  /// A Dropout whose mask is read has no inference meaning.
  func testDropoutMaskInUseIsAnError() throws {
    let g = TestGraph("mask")
    let x = g.input("x", ["N", 3])
    let outs = g.builder.node("Dropout", name: "dropout", inputs: [x], outputs: ["y", "mask"])
    g.output(outs[0])
    g.output(outs[1])
    XCTAssertThrowsError(try Compile.context(g.model(), [RemoveNoOps()])) { error in
      XCTAssertTrue("\(error)".contains("mask"), "\(error)")
    }
  }
}
