import GraphIR
import XCTest

@testable import GraphCompiler

final class DeadCodeEliminationTests: XCTestCase {
  /// A branch nobody reads goes, with its constants; the live branch stays in order.
  func testUnusedBranchAndItsConstantsAreRemoved() throws {
    let g = TestGraph("dead")
    let x = g.input("x", ["N", 2, 4, 4])
    let live = g.node("Relu", "relu", [g.conv("conv", x, 2, 3, k: 3)])
    g.node("Relu", "dead_relu", [g.conv("dead_conv", x, 2, 5, k: 1)])
    _ = g.weight("unused", [7])
    g.output(live)
    let context = try Compile.context(g.model(), [DeadCodeElimination()])
    XCTAssertEqual(context.graph.nodes.map(\.name), ["conv", "relu"])
    XCTAssertEqual(Set(context.graph.initializers.keys), ["conv.weight", "conv.bias"])
  }

  /// A node with two outputs stays when one of them is used.
  func testNodeWithOneLiveOutputStays() throws {
    let g = TestGraph("multi")
    let x = g.input("x", ["N", 2, 4, 4])
    let outs = g.builder.node("Dropout", name: "dropout", inputs: [x], outputs: ["y", "mask"])
    g.output(g.node("Relu", "relu", [outs[0]]))
    let context = try Compile.context(g.model(), [DeadCodeElimination()])
    XCTAssertEqual(context.graph.nodes.map(\.name), ["dropout", "relu"])
  }
}
