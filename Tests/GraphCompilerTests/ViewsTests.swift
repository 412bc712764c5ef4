import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

final class ViewsTests: XCTestCase {
  /// Flatten, Reshape, Squeeze and Unsqueeze become views that alias their input: no step, no copy.
  func testReshapesBecomeViewsWithoutSteps() throws {
    let g = TestGraph("views")
    let x = g.input("x", ["N", 2, 3, 1])
    let s = g.node("Squeeze", "squeeze", [x, g.ints("axes3", [3])])
    let u = g.node("Unsqueeze", "unsqueeze", [s, g.ints("axes1", [1])])
    let r = g.node("Reshape", "reshape", [u, g.ints("shape", [0, 6])])
    let f = g.node("Flatten", "flatten", [g.node("Relu", "relu", [r])])
    g.output(f)
    let model = g.model()
    let out = try Pipeline.compile(model)
    XCTAssertEqual(Compile.ops(out.graph), ["graphc.View", "graphc.View", "graphc.View", "Relu", "graphc.View"])
    XCTAssertEqual(out.graph.nodes.map { $0.attributes["from"] }, [.string("Squeeze"), .string("Unsqueeze"), .string("Reshape"), nil, .string("Flatten")])
    XCTAssertTrue(out.graph.nodes.allSatisfy { $0.inputs.count == 1 }, "shape inputs are dropped")
    XCTAssertTrue(out.graph.initializers.isEmpty, "the axes and shape constants are dead")
    XCTAssertEqual(out.plan.steps.count, 1)
    XCTAssertEqual(out.plan.steps[0].inputs[0].base, out.plan.inputs[0].view.base, "the relu reads the input's buffer")
    try assertCompiledMatchesReference(model)
  }
}
