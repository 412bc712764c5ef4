import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// The oracle on cases small enough to work out by hand.
final class ReferenceInterpreterTests: XCTestCase {
  func run(_ g: TestGraph, opset: Int = 13, _ inputs: [String: FloatTensor]) throws -> [String: FloatTensor] {
    try ReferenceInterpreter.run(g.model(opset: opset), inputs: inputs)
  }

  let x = try! FloatTensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])

  func testAveragePoolCountsPadsOnlyWhenAsked() throws {
    for (include, expected) in [(0, [Float(1), 1.5, 2, 2.5]), (1, [0.25, 0.75, 1, 2.5])] {
      let g = TestGraph("avg")
      g.input("x", ["N", 1, 2, 2])
      g.output(g.node("AveragePool", "y", ["x"], ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0]), "count_include_pad": .int(include)]))
      XCTAssertEqual(try run(g, ["x": x])["y"], try FloatTensor(shape: [1, 1, 2, 2], values: expected), "count_include_pad \(include)")
    }
  }

  func testConvWithBiasAndSameLowerPadding() throws {
    let g = TestGraph("conv")
    g.input("x", ["N", 1, 2, 2])
    g.builder.constant("w", Tensor(floats: [1, 1, 1, 1], dims: [1, 1, 2, 2]))
    g.builder.constant("b", Tensor(floats: [10], dims: [1]))
    g.output(g.node("Conv", "y", ["x", "w", "b"], ["auto_pad": .string("SAME_LOWER")]))
    // SAME_LOWER pads top and left: windows end at each pixel.
    XCTAssertEqual(try run(g, ["x": x])["y"], try FloatTensor(shape: [1, 1, 2, 2], values: [11, 13, 14, 20]))
  }

  func testSoftmaxBeforeOpset13NormalizesTheFlattenedTail() throws {
    let input = try FloatTensor(shape: [1, 2, 2], values: [0, 0, 0, 0])
    for (opset, expected) in [(11, Float(0.25)), (13, 0.5)] {
      let g = TestGraph("softmax")
      g.input("x", ["N", 2, 2])
      g.output(g.node("Softmax", "y", ["x"], ["axis": .int(1)]))
      XCTAssertEqual(try run(g, opset: opset, ["x": input])["y"]?.values, [Float](repeating: expected, count: 4), "opset \(opset)")
    }
  }

  func testShapeOfARuntimeValueAndConcatOnAnyAxis() throws {
    let g = TestGraph("shape")
    g.input("x", ["N", 1, 2, 2])
    let shape = g.node("Shape", "shape", ["x"])
    let last = g.node("Gather", "last", [shape, g.builder.constant("i", Tensor(int64s: [3], dims: []))])
    let target = g.node("Concat", "target", [g.ints("minus_one", [-1]), g.node("Unsqueeze", "last1", [last, g.ints("axes", [0])])], ["axis": .int(0)])
    let flat = g.node("Reshape", "flat", ["x", target])
    g.output(g.node("Concat", "y", ["x", "x"], ["axis": .int(3)]))
    g.output(g.node("ReduceMean", "mean", ["x"], ["axes": .ints([1, 2]), "keepdims": .int(0)]))
    g.output(flat)
    let out = try run(g, ["x": x])
    XCTAssertEqual(out["y"], try FloatTensor(shape: [1, 1, 2, 4], values: [1, 2, 1, 2, 3, 4, 3, 4]))
    XCTAssertEqual(out["mean"], try FloatTensor(shape: [1, 2], values: [2, 3]))
    XCTAssertEqual(out["flat"], try FloatTensor(shape: [2, 2], values: [1, 2, 3, 4]))
  }

  func testGemmWithTransposesAndColumnC() throws {
    let g = TestGraph("gemm")
    g.input("a", ["N", 2])
    g.builder.constant("b", Tensor(floats: [1, 2, 3, 4], dims: [2, 2]))
    g.builder.constant("c", Tensor(floats: [100, 200], dims: [2, 1]))
    g.output(g.node("Gemm", "y", ["a", "b", "c"], ["transA": .int(1), "transB": .int(1), "alpha": .float(2), "beta": .float(0.5)]))
    // A is [2, 2] read transposed: A^T = [[1, 3], [2, 4]]; B^T = [[1, 3], [2, 4]].
    let a = try FloatTensor(shape: [2, 2], values: [1, 2, 3, 4])
    XCTAssertEqual(try run(g, ["a": a])["y"], try FloatTensor(shape: [2, 2], values: [2 * 7 + 50, 2 * 15 + 50, 2 * 10 + 100, 2 * 22 + 100]))
  }

  func testOtherDomainsAreRejected() {
    let g = TestGraph("custom")
    g.input("x", ["N", 1])
    g.builder.node("Relu", name: "y", inputs: ["x"])
    g.output("y")
    var model = g.model()
    model.graph.nodes[0].domain = "com.example"
    XCTAssertThrowsError(try ReferenceInterpreter.run(model, inputs: ["x": try FloatTensor(shape: [1, 1], values: [0])])) { error in
      XCTAssertTrue("\(error)".contains("com.example"), "\(error)")
    }
  }
}
