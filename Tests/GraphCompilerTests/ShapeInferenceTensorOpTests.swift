import GraphIR
import XCTest

@testable import GraphCompiler

final class ShapeInferenceTensorOpTests: XCTestCase {
  func testGemmTransposesAndBias() throws {
    let b = GraphBuilder(name: "gemm")
    let x = b.input("x", ["N", 400])
    let w = b.constant("w", ShapeTest.weight([120, 400]))
    let bias = b.constant("b", ShapeTest.weight([120]))
    b.node("Gemm", name: "fc", inputs: [x, w, bias], attributes: ["transB": .int(1)])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("fc"), "Nx120")
  }

  func testGemmInnerMismatchAndBadBias() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", ["N", 400])
    let w = b.constant("w", ShapeTest.weight([120, 300]))
    b.node("Gemm", name: "fc", inputs: [x, w], attributes: ["transB": .int(1)])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("node 'fc' (Gemm): inner dims differ"))

    let c = GraphBuilder(name: "bias")
    let y = c.input("x", [2, 4])
    let v = c.constant("w", ShapeTest.weight([4, 3]))
    let bias = c.constant("b", ShapeTest.weight([5]))
    c.node("Gemm", name: "fc", inputs: [y, v, bias])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(c) }.contains("bias C 5 does not broadcast to the output 2x3"))
  }

  func testMatMulBatchedAndOneDimensional() throws {
    let b = GraphBuilder(name: "matmul")
    let a = b.input("a", [2, 1, 3, 4])
    let m = b.input("m", [5, 4, 7])
    let v = b.input("v", [4])
    b.node("MatMul", name: "batched", inputs: [a, m])
    b.node("MatMul", name: "vecLeft", inputs: [v, m])
    b.node("MatMul", name: "vecRight", inputs: [a, v])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("batched"), "2x5x3x7")
    XCTAssertEqual(g.shape("vecLeft"), "5x7")
    XCTAssertEqual(g.shape("vecRight"), "2x1x3")
  }

  func testBroadcastingWithSymbols() throws {
    let b = GraphBuilder(name: "bc")
    let x = b.input("x", ["N", 3, 1, 5])
    let y = b.input("y", [4, 1])
    let z = b.input("z", ["N", 1, 1, 1])
    let s = b.input("s", ["M", 5])
    b.node("Add", name: "add", inputs: [x, y])
    b.node("Mul", name: "mul", inputs: [x, z])
    b.node("Sum", name: "sum", inputs: [x, y, z])
    b.node("Div", name: "div", inputs: [s, x])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("add"), "Nx3x4x5")
    XCTAssertEqual(g.shape("mul"), "Nx3x1x5")
    XCTAssertEqual(g.shape("sum"), "Nx3x4x5")
    XCTAssertEqual(g.shape("div"), "Nx3xMx5")
  }

  func testBadBroadcast() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", ["N", 3, 4])
    let y = b.input("y", [5, 4])
    b.node("Sub", name: "sub", inputs: [x, y])
    XCTAssertEqual(ShapeTest.error { try ShapeTest.infer(b) }, "node 'sub' (Sub): shapes Nx3x4 and 5x4 do not broadcast")
  }

  func testConcatNegativeAxisAndMismatch() throws {
    let b = GraphBuilder(name: "concat")
    let x = b.input("x", ["N", 3, 4])
    let y = b.input("y", ["N", 3, 6])
    b.node("Concat", name: "cat", inputs: [x, y], attributes: ["axis": .int(-1)])
    b.node("Concat", name: "batch", inputs: [x, x], attributes: ["axis": .int(0)])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("cat"), "Nx3x10")
    XCTAssertEqual(g.shape("batch"), "N+Nx3x4")

    let c = GraphBuilder(name: "bad")
    let p = c.input("x", ["N", 3, 4])
    let q = c.input("y", ["N", 2, 4])
    c.node("Concat", name: "cat", inputs: [p, q], attributes: ["axis": .int(2)])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(c) }.contains("dim 1 differs"))
  }

  func testUnaryNormalizationAndLayoutOps() throws {
    let b = GraphBuilder(name: "misc")
    let x = b.input("x", ["N", 4, 5, 6])
    let c = b.constant("c", ShapeTest.weight([4]))
    let lo = b.constant("lo", Tensor(scalar: 0))
    b.node("Relu", name: "relu", inputs: [x])
    b.node("Clip", name: "clip", inputs: [x, lo, ""])
    b.node("BatchNormalization", name: "bn", inputs: [x, c, c, c, c])
    b.node("LRN", name: "lrn", inputs: [x], attributes: ["size": .int(3)])
    b.node("Softmax", name: "softmax", inputs: [x])
    b.node("Dropout", name: "drop", inputs: [x], outputs: ["drop", "mask"])
    b.node("Identity", name: "id", inputs: [x])
    b.node("Flatten", name: "flat", inputs: [x])
    b.node("Flatten", name: "flatNeg", inputs: [x], attributes: ["axis": .int(-1)])
    b.node("Flatten", name: "flat0", inputs: [x], attributes: ["axis": .int(0)])
    b.node("Transpose", name: "tr", inputs: [x], attributes: ["perm": .ints([0, 2, 3, 1])])
    b.node("Transpose", name: "rev", inputs: [x])
    b.node("ReduceMean", name: "mean", inputs: [x], attributes: ["axes": .ints([2, -1]), "keepdims": .int(0)])
    b.node("ReduceMean", name: "meanKeep", inputs: [x], attributes: ["axes": .ints([1])])
    b.node("Cast", name: "cast", inputs: [x], attributes: ["to": .int(7)])
    let g = try ShapeTest.infer(b)
    for name in ["relu", "clip", "bn", "lrn", "softmax", "drop", "id"] { XCTAssertEqual(g.shape(name), "Nx4x5x6", name) }
    XCTAssertEqual(g.shape("mask"), "Nx4x5x6")
    XCTAssertEqual(g["mask"]?.elementType, .bool)
    XCTAssertEqual(g.shape("flat"), "Nx120")
    XCTAssertEqual(g.shape("flatNeg"), "20*Nx6")
    XCTAssertEqual(g.shape("flat0"), "1x120*N")
    XCTAssertEqual(g.shape("tr"), "Nx5x6x4")
    XCTAssertEqual(g.shape("rev"), "6x5x4xN")
    XCTAssertEqual(g.shape("mean"), "Nx4")
    XCTAssertEqual(g.shape("meanKeep"), "Nx1x5x6")
    XCTAssertEqual(g["cast"]?.elementType, .int64)
  }

  func testBatchNormChannelMismatch() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", ["N", 4, 5, 6])
    let c = b.constant("c", ShapeTest.weight([3]))
    b.node("BatchNormalization", name: "bn", inputs: [x, c, c, c, c])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("node 'bn' (BatchNormalization): scale has shape 3, expected [4]"))
  }

  func testOpsetDependentAttributes() throws {
    // Opset 11: axes, Clip bounds and Dropout ratio are attributes.
    let b = GraphBuilder(name: "old")
    let x = b.input("x", [2, 1, 3])
    b.node("Unsqueeze", name: "u", inputs: [x], attributes: ["axes": .ints([0, -1])])
    b.node("Squeeze", name: "s", inputs: [x], attributes: ["axes": .ints([1])])
    b.node("Squeeze", name: "all", inputs: [x])
    b.node("Clip", name: "clip", inputs: [x], attributes: ["min": .float(0), "max": .float(6)])
    b.node("Dropout", name: "d", inputs: [x], attributes: ["ratio": .float(0.3)])
    b.node("Softmax", name: "sm", inputs: [x])
    let g = try ShapeTest.infer(b, opset: 11)
    XCTAssertEqual(g.shape("u"), "1x2x1x3x1")
    XCTAssertEqual(g.shape("s"), "2x3")
    XCTAssertEqual(g.shape("all"), "2x3")
    XCTAssertEqual(g.shape("clip"), "2x1x3")
    XCTAssertEqual(g.shape("d"), "2x1x3")

    // Opset 13: axes are inputs.
    let c = GraphBuilder(name: "new")
    let y = c.input("x", [2, 1, 3])
    let axes = c.constant("axes", ShapeTest.ints([1]))
    c.node("Unsqueeze", name: "u", inputs: [y, axes])
    c.node("Squeeze", name: "s", inputs: [y, axes])
    let h = try ShapeTest.infer(c, opset: 13)
    XCTAssertEqual(h.shape("u"), "2x1x1x3")
    XCTAssertEqual(h.shape("s"), "2x3")
  }

  func testSqueezeOfNonUnitAxisFails() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [2, 3])
    b.node("Squeeze", name: "s", inputs: [x], attributes: ["axes": .ints([0])])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b, opset: 11) }.contains("cannot squeeze axis 0 of 2x3"))
  }

  func testSplitSizesThatAddPastIntMaxAreAnErrorNotATrap() {
    // Found by fuzz-onnx (Tests/Fixtures/fuzz-regressions/onnx/split-sizes-overflow.onnx):
    // each size is positive, their sum overflows.
    let b = GraphBuilder(name: "split")
    let x = b.input("x", ["N", 4])
    let sizes = b.constant("sizes", ShapeTest.ints([Int.max - 1, 6]))
    b.node("Split", name: "split", inputs: [x, sizes], outputs: ["a", "b"], attributes: ["axis": .int(1)])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("do not add up to 4"))

    let c = GraphBuilder(name: "split")
    let y = c.input("x", ["N", 4])
    c.node("Split", name: "split", inputs: [y, c.constant("sizes", ShapeTest.ints([1, 3]))], outputs: ["a", "b"], attributes: ["axis": .int(1)])
    XCTAssertEqual(try ShapeTest.infer(c).shape("b"), "Nx3")
  }
}
