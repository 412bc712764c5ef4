import GraphIR
import XCTest

final class VerifierTests: XCTestCase {
  func relu(_ name: String, _ input: String, _ output: String) -> Node {
    Node(name: name, opType: "Relu", inputs: [input], outputs: [output])
  }

  func graph(_ nodes: [Node], outputs: [String] = []) -> Graph {
    Graph(
      name: "g", nodes: nodes, inputs: [ValueInfo(name: "x", shape: [1])],
      outputs: outputs.map { ValueInfo(name: $0, shape: nil) })
  }

  func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      XCTFail("expected an error")
    } catch let e as GraphError {
      return e.description
    } catch {
      XCTFail("unexpected \(error)")
    }
    return ""
  }

  func testValidGraphPasses() throws {
    try Verifier.verify(Model(graph: graph([relu("a", "x", "y"), relu("b", "y", "z")], outputs: ["z"])))
  }

  func testUndefinedInput() {
    let m = message { try Verifier.verify(Model(graph: self.graph([self.relu("a", "nowhere", "y")]))) }
    XCTAssertEqual(m, "node 'a' (Relu): reads value 'nowhere', which is not a graph input, an initializer or any node's output")
  }

  func testDuplicateOutput() {
    let m = message { try Verifier.verify(Model(graph: self.graph([self.relu("a", "x", "y"), self.relu("b", "x", "y")]))) }
    XCTAssertEqual(m, "node 'b' (Relu): produces value 'y', which node 'a' (Relu) already produces")
  }

  func testOutputShadowingGraphInput() {
    let m = message { try Verifier.verify(Model(graph: self.graph([self.relu("a", "x", "x")]))) }
    XCTAssertTrue(m.contains("already defined as graph input 'x'"))
  }

  func testUndefinedGraphOutput() {
    let m = message { try Verifier.verify(Model(graph: self.graph([self.relu("a", "x", "y")], outputs: ["q"]))) }
    XCTAssertTrue(m.hasPrefix("graph output 'q'"))
  }

  func testDuplicateNodeNames() {
    let m = message { try Verifier.verify(Model(graph: self.graph([self.relu("a", "x", "y"), self.relu("a", "y", "z")]))) }
    XCTAssertTrue(m.contains("node name 'a' is used by nodes #0 and #1"))
  }

  func testOutOfOrderIsReportedAndSortable() throws {
    let g = graph([relu("b", "y", "z"), relu("c", "z", "w"), relu("a", "x", "y")], outputs: ["w"])
    XCTAssertTrue(message { try Verifier.verify(g) }.contains("node 'b' (Relu): reads value 'y' before node 'a' (Relu) produces it"))
    let sorted = try Verifier.topologicallySorted(g)
    XCTAssertEqual(sorted.nodes.map(\.name), ["a", "b", "c"])
    try Verifier.verify(sorted)
  }

  func testSortKeepsAnOrderedGraphUnchanged() throws {
    let g = graph([relu("a", "x", "y"), relu("p", "x", "q"), relu("b", "y", "z")])
    XCTAssertEqual(try Verifier.topologicallySorted(g).nodes.map(\.name), ["a", "p", "b"])
  }

  func testCycleNamesItsNodes() {
    let add = Node(name: "add", opType: "Add", inputs: ["x", "c"], outputs: ["a"])
    let g = graph([add, relu("b", "a", "b_out"), relu("c", "b_out", "c")])
    let m = message { try Verifier.topologicallySorted(g) }
    XCTAssertEqual(m, "graph 'g': nodes form a cycle: node 'add' (Add) -> node 'b' (Relu) -> node 'c' (Relu) -> node 'add' (Add)")
  }
}
