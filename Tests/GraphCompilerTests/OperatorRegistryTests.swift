import GraphIR
import XCTest

@testable import GraphCompiler

/// The one op list: the up-front check, and what every registered op provides.
final class OperatorRegistryTests: XCTestCase {
  func relu(_ name: String, _ input: String, _ output: String) -> Node {
    Node(name: name, opType: "Relu", inputs: [input], outputs: [output])
  }

  func graph(_ nodes: [Node]) -> Graph {
    Graph(name: "g", nodes: nodes, inputs: [ValueInfo(name: "x", shape: [1])])
  }

  func message(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch { return "\(error)" }
  }

  func testUnsupportedOpsAndOpsetsAreListed() {
    var g = graph([Node(name: "foo", opType: "FancyOp", inputs: ["x"], outputs: ["y"]), relu("r", "y", "z")])
    g.nodes.append(Node(name: "bar", opType: "Other", inputs: ["z"], outputs: ["w"]))
    XCTAssertEqual(message { try OperatorRegistry.check(Model(graph: g)) }, "unsupported ops: FancyOp (node 'foo'), Other (node 'bar')")
    XCTAssertTrue(message { try OperatorRegistry.check(Model(graph: self.graph([]), opsetImports: ["": 0])) }
      .contains("opset version 0 is not supported (supported: 1...27)"))
    XCTAssertNoThrow(try OperatorRegistry.check(Model(graph: graph([relu("r", "x", "y")]), opsetImports: ["ai.onnx": 22])))
    XCTAssertNoThrow(try OperatorRegistry.check(Model(graph: graph([relu("r", "x", "y")]), opsetImports: ["": 25])))
    XCTAssertTrue(message { try OperatorRegistry.check(Model(graph: self.graph([]), opsetImports: ["": 28])) }
      .contains("opset version 28 is not supported (supported: 1...27)"))
  }

  /// Hundreds of one unsupported op read as one entry per op type with a count and the first names.
  func testUnsupportedOpsAreSummarizedPerOpType() {
    var nodes: [Node] = []
    var last = "x"
    for i in 0..<5 {
      nodes.append(Node(name: "slice\(i)", opType: "Chop", inputs: [last], outputs: ["s\(i)"]))
      last = "s\(i)"
      if i < 2 { nodes.append(Node(name: "erf\(i)", opType: "Erfish", inputs: [last], outputs: ["e\(i)"])); last = "e\(i)" }
    }
    nodes.append(Node(name: "", opType: "Gelu", domain: "com.example", inputs: [last], outputs: ["out"]))
    XCTAssertEqual(
      message { try OperatorRegistry.check(Model(graph: graph(nodes))) },
      "unsupported ops: Chop (5 nodes: 'slice0', 'slice1', 'slice2' and 2 more), Erfish (2 nodes: 'erf0', 'erf1'), "
        + "com.example.Gelu (node 'out')")
  }

  func testUnknownAttributesAreListedWithTheirNodes() {
    let conv = Node(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"], attributes: ["foo": .int(1), "group": .int(1)])
    let bn = Node(name: "bn", opType: "BatchNormalization", inputs: ["y", "s", "b", "m", "v"], outputs: ["z"],
                  attributes: ["training_mode": .int(1)])
    let model = Model(graph: Graph(name: "g", nodes: [conv, bn], inputs: [ValueInfo(name: "x", shape: [1])]))
    let text = message { try OperatorRegistry.check(model) }
    XCTAssertTrue(text.contains("node 'c' (Conv) attribute 'foo'"), text)
    XCTAssertTrue(text.contains("node 'bn' (BatchNormalization) training_mode=1"), text)
    XCTAssertFalse(text.contains("'group'"), text)
  }

  /// Each op type has exactly one definition, and the compiler's own ops lower through a registered one.
  func testOneDefinitionPerOp() {
    let types = OperatorRegistry.all.flatMap { $0.opTypes }
    XCTAssertEqual(types.count, Set(types).count, "an op type is defined twice")
    for (op, definition) in OperatorRegistry.compilerOps {
      let node = Node(name: "n", opType: op, domain: CompilerOps.domain, inputs: ["x"], outputs: ["y"])
      XCTAssertTrue(OperatorRegistry.definition(for: node) == definition, op)
    }
    // Sigmoid-style growth: an op's attributes come from its definition alone.
    XCTAssertEqual(OperatorRegistry.byOp["Clip"]?.attributes, ["min", "max"])
    XCTAssertEqual(OperatorRegistry.byOp["AveragePool"]?.attributes.contains("count_include_pad"), true)
    XCTAssertEqual(OperatorRegistry.byOp["MaxPool"]?.attributes.contains("count_include_pad"), false)
  }

  /// Ops that only exist at compile time say why they do not lower.
  func testCompileTimeOnlyOpsSayWhy() throws {
    let context = CompilationContext(model: Model(graph: graph([])))
    let lowering = Lowering(context: context)
    for op in ["Constant", "ConstantOfShape", "Shape", "Cast", "Gather"] {
      let node = Node(name: "n", opType: op, inputs: ["x"], outputs: ["y"])
      XCTAssertThrowsError(try OperatorRegistry.byOp[op]!.lower(LoweringContext(node: node, lowering: lowering))) { error in
        XCTAssertFalse((error as? LoweringContext.Unsupported)?.reason.isEmpty ?? true, op)
      }
    }
  }

  /// An `axes` attribute where the opset wants an input is an error, not silently ignored.
  func testAxesAttributeAfterItBecameAnInput() {
    let g = TestGraph("stale_axes")
    g.output(g.node("ReduceMean", "mean", [g.input("x", ["N", 2, 4, 4])], ["axes": .ints([2, 3])]))
    XCTAssertNoThrow(try ShapeInference.infer(g.model(opset: 17)))
    let text = message { _ = try ShapeInference.infer(g.model(opset: 18)) }
    XCTAssertTrue(text.contains("'axes' is an input from opset 18 on"), text)
  }

  /// An integer model is refused, not run as float32 (integer Div would give 2.333 for 7 / 3).
  func testIntegerValuesAtRunTimeAreRefused() {
    let b = GraphBuilder(name: "ints")
    let x = b.input("x", ["N", 3], type: .int32)
    b.output(b.node("Div", name: "div", inputs: [x, b.constant("three", Tensor(dataType: .int32, dims: [1], storage: .integers([3])))]), type: .int32)
    let text = message { _ = try Pipeline.compile(Model(graph: b.build(), opsetImports: ["": 13])) }
    XCTAssertTrue(text.contains("graph input 'x'") && text.contains("float32"), text)
  }
}
