import GraphIR
import XCTest

@testable import GraphCompiler

/// Whole-graph behaviour: op coverage, opset and op checks, declared outputs, ordering.
final class ShapeInferenceGraphTests: XCTestCase {
  func testUnsupportedOpsReportedTogether() {
    let b = GraphBuilder(name: "unknown")
    let x = b.input("x", [1, 3])
    b.node("FancyOp", name: "foo", inputs: [x])
    b.node("Relu", name: "ok", inputs: ["foo"])
    b.node("Other", name: "bar", inputs: ["ok"])
    XCTAssertEqual(ShapeTest.error { try ShapeTest.infer(b) }, "unsupported ops: FancyOp (node 'foo'), Other (node 'bar')")
  }

  func testForeignDomainIsUnsupported() {
    var graph = GraphBuilder(name: "domain").build()
    graph.inputs = [ValueInfo(name: "x", shape: [1, 3])]
    graph.nodes = [Node(name: "fused", opType: "Relu", domain: "com.microsoft", inputs: ["x"], outputs: ["y"])]
    XCTAssertEqual(
      ShapeTest.error { try ShapeInference.infer(Model(graph: graph)) },
      "unsupported ops: com.microsoft.Relu (node 'fused')")
  }

  func testOpsetOutsideRange() {
    let b = GraphBuilder(name: "opset")
    b.input("x", [1])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b, opset: 0) }.contains("opset version 0 is not supported (supported: 1...27)"))
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b, opset: 28) }.contains("opset version 28"))
    XCTAssertNoThrow(try ShapeTest.infer(b, opset: 25))
  }

  func testDeclaredOutputShapeContradiction() {
    let b = GraphBuilder(name: "declared")
    let x = b.input("x", ["N", 3])
    b.node("Relu", name: "relu", inputs: [x])
    b.output("relu", shape: ["N", 4])
    XCTAssertEqual(
      ShapeTest.error { try ShapeTest.infer(b) },
      "graph output 'relu': declared shape Nx4 contradicts inferred shape Nx3")
  }

  func testInputWithoutShapeAndNegativeDim() {
    var graph = Graph(name: "noshape", inputs: [ValueInfo(name: "x", shape: nil)])
    XCTAssertTrue(ShapeTest.error { try ShapeInference.infer(Model(graph: graph)) }.contains("graph input 'x': has no shape"))
    graph.inputs = [ValueInfo(name: "x", shape: [2, .fixed(-1)])]
    XCTAssertTrue(ShapeTest.error { try ShapeInference.infer(Model(graph: graph)) }.contains("dim 1 of shape 2x-1 is negative"))
  }

  func testHugeShapeIsAnErrorNotAnOverflow() {
    let b = GraphBuilder(name: "huge")
    let x = b.input("x", Shape(fixed: [1 << 30, 1 << 30, 1 << 30]))
    b.node("Relu", name: "relu", inputs: [x])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("elements"))
  }

  func testOutOfOrderNodesAreSortedFirst() throws {
    var graph = Graph(name: "order", inputs: [ValueInfo(name: "x", shape: ["N", 3])])
    graph.nodes = [
      Node(name: "second", opType: "Relu", inputs: ["a"], outputs: ["b"]),
      Node(name: "first", opType: "Relu", inputs: ["x"], outputs: ["a"]),
    ]
    graph.outputs = [ValueInfo(name: "b", shape: nil)]
    let g = try ShapeInference.infer(Model(graph: graph))
    XCTAssertEqual(g.values.map(\.name), ["x", "a", "b"])
    XCTAssertEqual(g.outputs.first?.shape.description, "Nx3")
  }
}
