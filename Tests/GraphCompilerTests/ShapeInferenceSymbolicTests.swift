import GraphIR
import XCTest

@testable import GraphCompiler

/// Reshape, Shape, Gather and constants: where symbolic values matter.
final class ShapeInferenceSymbolicTests: XCTestCase {
  func testReshapeMinusOneWithSymbolicBatch() throws {
    let b = GraphBuilder(name: "reshape")
    let x = b.input("x", ["N", 16, 5, 5])
    let target = b.constant("target", ShapeTest.ints([0, -1]))
    let split = b.constant("split_shape", ShapeTest.ints([0, 4, -1, 5]))
    b.node("Reshape", name: "flat", inputs: [x, target])
    b.node("Reshape", name: "split", inputs: [x, split])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("flat"), "Nx400")
    XCTAssertEqual(g.shape("split"), "Nx4x20x5")
  }

  func testReshapeErrors() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [2, 3, 5])
    let target = b.constant("target", ShapeTest.ints([4, -1]))
    b.node("Reshape", name: "r", inputs: [x, target])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("node 'r' (Reshape): cannot reshape 2x3x5 to [4, -1]"))

    let c = GraphBuilder(name: "bad2")
    let y = c.input("x", [2, 3, 5])
    let two = c.constant("target", ShapeTest.ints([-1, -1]))
    c.node("Reshape", name: "r", inputs: [y, two])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(c) }.contains("more than one -1"))

    let d = GraphBuilder(name: "bad3")
    let z = d.input("x", [2, 3, 5])
    let count = d.constant("target", ShapeTest.ints([7, 5]))
    d.node("Reshape", name: "r", inputs: [z, count])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(d) }.contains("(30 elements) to 7x5 (35 elements)"))
  }

  func testReshapeAllowZero() throws {
    let b = GraphBuilder(name: "allowzero")
    let x = b.input("x", [0, 4])
    let target = b.constant("target", ShapeTest.ints([4, 0]))
    b.node("Reshape", name: "r", inputs: [x, target], attributes: ["allowzero": .int(1)])
    XCTAssertEqual(try ShapeTest.infer(b, opset: 14).shape("r"), "4x0")
  }

  /// `x.view(x.size(0), -1)` as PyTorch exports it.
  func testPyTorchShapeGatherUnsqueezeConcatReshapeChain() throws {
    let b = GraphBuilder(name: "torch")
    let x = b.input("x", ["N", 16, 5, 5])
    let shape = b.node("Shape", name: "shape", inputs: [x])
    let zero = b.constant("zero", ShapeTest.ints([0], dims: []))
    let batch = b.node("Gather", name: "gather", inputs: [shape, zero], attributes: ["axis": .int(0)])
    let axes = b.constant("axes", ShapeTest.ints([0]))
    let unsqueezed = b.node("Unsqueeze", name: "unsqueeze", inputs: [batch, axes])
    let minusOne = b.node("Constant", name: "minus_one", inputs: [], attributes: ["value_ints": .ints([-1])])
    let target = b.node("Concat", name: "concat", inputs: [unsqueezed, minusOne], attributes: ["axis": .int(0)])
    b.node("Reshape", name: "reshape", inputs: [x, target])
    let filled = b.node("ConstantOfShape", name: "zeros", inputs: [shape])
    b.output("reshape")
    b.output(filled)

    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("shape"), "4")
    XCTAssertEqual(g.shape("gather"), "scalar")
    XCTAssertEqual(g.shape("concat"), "2")
    XCTAssertEqual(g.shape("reshape"), "Nx400")
    XCTAssertEqual(g.shape("zeros"), "Nx16x5x5")
    XCTAssertEqual(g.outputs.map(\.shape.description), ["Nx400", "Nx16x5x5"])

    let bound = try ShapeTest.infer(b, bindings: ["N": 8])
    XCTAssertEqual(bound.shape("reshape"), "8x400")
  }

  func testShapeStartEndFromOpset15() throws {
    let b = GraphBuilder(name: "shape")
    let x = b.input("x", ["N", 3, 4, 5])
    b.node("Shape", name: "s", inputs: [x], attributes: ["start": .int(1), "end": .int(-1)])
    let target = b.node("Concat", name: "t", inputs: ["s"], attributes: ["axis": .int(0)])
    b.node("ConstantOfShape", name: "c", inputs: [target], attributes: ["value": .tensor(ShapeTest.ints([1], dims: [1]))])
    let g = try ShapeTest.infer(b, opset: 15)
    XCTAssertEqual(g.shape("s"), "2")
    XCTAssertEqual(g.shape("c"), "3x4")
    XCTAssertEqual(g["c"]?.elementType, .int64)
  }

  func testGatherShapesAndIndexRange() throws {
    let b = GraphBuilder(name: "gather")
    let x = b.input("x", [10, 3, 4])
    let idx = b.constant("idx", ShapeTest.ints([0, 2, 1, 1, 0, 2], dims: [2, 3]))
    b.node("Gather", name: "g1", inputs: [x, idx], attributes: ["axis": .int(1)])
    b.node("Gather", name: "g0", inputs: [x, idx])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("g1"), "10x2x3x4")
    XCTAssertEqual(g.shape("g0"), "2x3x3x4")

    let c = GraphBuilder(name: "bad")
    let y = c.input("x", [10, 3])
    let far = c.constant("idx", ShapeTest.ints([3]))
    c.node("Gather", name: "g", inputs: [y, far], attributes: ["axis": .int(-1)])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(c) }.contains("index 3 is out of range for axis 1 of size 3"))
  }

  func testConstantForms() throws {
    let b = GraphBuilder(name: "constants")
    b.node("Constant", name: "t", inputs: [], attributes: ["value": .tensor(ShapeTest.weight([2, 3]))])
    b.node("Constant", name: "f", inputs: [], attributes: ["value_float": .float(1)])
    b.node("Constant", name: "fs", inputs: [], attributes: ["value_floats": .floats([1, 2])])
    b.node("Constant", name: "i", inputs: [], attributes: ["value_int": .int(1)])
    b.node("Constant", name: "is", inputs: [], attributes: ["value_ints": .ints([1, 2, 3])])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("t"), "2x3")
    XCTAssertEqual(g.shape("f"), "scalar")
    XCTAssertEqual(g.shape("fs"), "2")
    XCTAssertEqual(g["i"]?.elementType, .int64)
    XCTAssertEqual(g.shape("is"), "3")
  }

  func testBindingsMakeSymbolsConcrete() throws {
    let b = GraphBuilder(name: "bind")
    let x = b.input("x", ["batch", 3, 8, 8])
    let w = b.constant("w", ShapeTest.weight([4, 3, 3, 3]))
    b.node("Conv", name: "conv", inputs: [x, w])
    b.output("conv")
    XCTAssertEqual(try ShapeTest.infer(b, bindings: ["batch": 4]).shape("conv"), "4x4x6x6")
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b, bindings: ["batch": 0]) }.contains("must be positive"))
  }

  /// A window over a symbolic size gives an expression of that size, not an internal name: readable
  /// in messages, and equal for equal inputs (two branches over one input broadcast with each other).
  func testWindowsOverSymbolicSizesGiveReadableExpressions() throws {
    let b = GraphBuilder(name: "sym")
    let x = b.input("x", ["N", 3, "H", "W"])
    let w = b.constant("w", ShapeTest.weight([4, 3, 3, 3]))
    let same = b.node("Conv", name: "same", inputs: [x, w], attributes: ["pads": .ints([1, 1, 1, 1])])
    let valid = b.node("Conv", name: "valid", inputs: [x, w])
    let strided = b.node("Conv", name: "strided", inputs: [x, w], attributes: ["strides": .ints([2, 2])])
    b.node("MaxPool", name: "ceil", inputs: [x], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])
    b.node("MaxPool", name: "auto", inputs: [x], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
    let again = b.node("Conv", name: "valid2", inputs: [x, w])
    b.node("Add", name: "sum", inputs: [valid, again])
    b.node("Flatten", name: "flat", inputs: [strided])
    _ = same
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g["same"]?.shape.dims, ["N", 4, "H", "W"])
    XCTAssertEqual(g["valid"]?.shape.dims, ["N", 4, "H-2", "W-2"])
    XCTAssertEqual(g["strided"]?.shape.dims, ["N", 4, "(H-3)/2+1", "(W-3)/2+1"])
    XCTAssertEqual(g["ceil"]?.shape.dims, ["N", 3, "ceil((H-3)/2)+1", "ceil((W-3)/2)+1"])
    XCTAssertEqual(g["auto"]?.shape.dims, ["N", 3, "ceil(H/2)", "ceil(W/2)"])
    XCTAssertEqual(g["sum"]?.shape.dims, ["N", 4, "H-2", "W-2"])
    // A product keeps each expression in parentheses and splits back into the same factors.
    XCTAssertEqual(g["flat"]?.shape.dims, ["N", "4*((H-3)/2+1)*((W-3)/2+1)"])
    XCTAssertEqual(DimProduct(.symbol("4*((H-3)/2+1)*(W-2)")).symbols, ["(H-3)/2+1", "W-2"].sorted())
  }

  /// Swin's window padding as TorchScript exports it: `(7 - W % 7) % 7` from `Shape(x)` of a value
  /// with a symbolic batch, then the pads assembled through a 2-D Reshape, a reversing Slice and a
  /// Transpose. The rank-2 steps have no tracked elements of their own: they are evaluated from
  /// their inputs' known integers, so Pad's pads are constants at compile time.
  func testPadsComputedFromFixedDimsOfABatchedValue() throws {
    let b = GraphBuilder(name: "swin-pad")
    let x = b.input("x", ["N", 16, 16, 4])
    let shape = b.node("Shape", name: "shape", inputs: [x])
    let two = b.constant("two", ShapeTest.ints([2], dims: []))
    let seven = b.constant("seven", ShapeTest.ints([7], dims: []))
    let width = b.node("Gather", name: "width", inputs: [shape, two], attributes: ["axis": .int(0)])
    let rest = b.node("Mod", name: "rest", inputs: [width, seven])
    let short = b.node("Sub", name: "short", inputs: [seven, rest])
    let pad = b.node("Mod", name: "pad", inputs: [short, seven])
    let axes = b.constant("axes", ShapeTest.ints([0]))
    let padded = b.node("Unsqueeze", name: "padded", inputs: [pad, axes])
    let zeros = b.constant("zeros", ShapeTest.ints([0, 0, 0]))
    let zero = b.constant("zero", ShapeTest.ints([0]))
    let pairs = b.node("Concat", name: "pairs", inputs: [zeros, padded, zero, padded, zero, zero], attributes: ["axis": .int(0)])
    let matrix = b.node("Reshape", name: "matrix", inputs: [pairs, b.constant("m", ShapeTest.ints([-1, 2]))])
    let reversed = b.node("Slice", name: "reversed", inputs: [
      matrix, b.constant("starts", ShapeTest.ints([-1])), b.constant("ends", ShapeTest.ints([Int(Int64.min) + 1])),
      b.constant("sliceAxes", ShapeTest.ints([0])), b.constant("steps", ShapeTest.ints([-1])),
    ])
    let transposed = b.node("Transpose", name: "transposed", inputs: [reversed], attributes: ["perm": .ints([1, 0])])
    let pads = b.node("Reshape", name: "pads", inputs: [transposed, b.constant("flat", ShapeTest.ints([-1]))])
    b.node("Pad", name: "padded_x", inputs: [x, pads])
    b.output("padded_x")
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g["pads"]?.knownIntegers, [0, 0, 0, 0, 0, 5, 5, 0])
    XCTAssertEqual(g.shape("padded_x"), "Nx21x21x4")
  }

  /// CenterCropPad's function body pads to `Max(size, target)` and crops back: Max and Min of
  /// known integers keep them known (Mean, whose result need not be an integer, does not).
  func testMaxAndMinOfKnownSizesStayKnown() throws {
    let b = GraphBuilder(name: "center-crop-pad")
    let x = b.input("x", ["N", 3, 5, 9])
    let sizes = b.node("Gather", name: "sizes", inputs: [b.node("Shape", name: "shape", inputs: [x]), b.constant("hw", ShapeTest.ints([2, 3]))])
    let target = b.constant("target", ShapeTest.ints([7, 4]))
    let padded = b.node("Max", name: "padded", inputs: [sizes, target])
    b.node("Min", name: "cropped", inputs: [sizes, target, b.constant("cap", ShapeTest.ints([6]))])
    b.node("Mean", name: "mean", inputs: [sizes, target])
    let amount = b.node("Sub", name: "amount", inputs: [padded, sizes])
    let pads = b.node("Concat", name: "pads", inputs: [b.constant("lead", ShapeTest.ints([0, 0])), amount, b.constant("tail", ShapeTest.ints([0, 0, 0, 0]))], attributes: ["axis": .int(0)])
    b.node("Pad", name: "padded_x", inputs: [x, pads])
    b.output("padded_x")
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g["padded"]?.knownIntegers, [7, 9])
    XCTAssertEqual(g["cropped"]?.knownIntegers, [5, 4])
    XCTAssertNil(g["mean"]?.knownIntegers)
    XCTAssertEqual(g.shape("padded_x"), "Nx3x7x9")
  }

  /// Windows times the batch (`x.view(B * nW, 49, C)`): a product of a symbol and a number stays
  /// known, and dividing it again gives the symbol back; a quotient that may not be exact does not.
  func testShapeArithmeticMultipliesAndDividesTheBatch() throws {
    let b = GraphBuilder(name: "windows")
    let x = b.input("x", ["N", 9, 49, 4])
    let shape = b.node("Shape", name: "shape", inputs: [x])
    let batch = b.node("Gather", name: "batch", inputs: [shape, b.constant("zero", ShapeTest.ints([0], dims: []))], attributes: ["axis": .int(0)])
    let windows = b.node("Mul", name: "windows", inputs: [batch, b.constant("nine", ShapeTest.ints([9], dims: []))])
    let axes = b.constant("axes", ShapeTest.ints([0]))
    let lead = b.node("Unsqueeze", name: "lead", inputs: [windows, axes])
    let target = b.node("Concat", name: "target", inputs: [lead, b.constant("rest", ShapeTest.ints([49, 4]))], attributes: ["axis": .int(0)])
    let merged = b.node("Reshape", name: "merged", inputs: [x, target])
    let again = b.node("Shape", name: "again", inputs: [merged])
    let first = b.node("Gather", name: "first", inputs: [again, b.constant("zero2", ShapeTest.ints([0], dims: []))], attributes: ["axis": .int(0)])
    let back = b.node("Div", name: "back", inputs: [first, b.constant("nine2", ShapeTest.ints([9], dims: []))])
    b.node("Div", name: "inexact", inputs: [first, b.constant("two", ShapeTest.ints([2], dims: []))])
    let batchAgain = b.node("Unsqueeze", name: "batch_again", inputs: [back, axes])
    let split = b.node("Concat", name: "split", inputs: [batchAgain, b.constant("rest2", ShapeTest.ints([9, 49, 4]))], attributes: ["axis": .int(0)])
    b.node("Reshape", name: "restored", inputs: [merged, split])
    b.output("restored")
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g["merged"]?.shape.dims, ["9*N", 49, 4])
    XCTAssertEqual(g["restored"]?.shape.dims, ["N", 9, 49, 4])
    let known = try ShapeInference.infer(Model(graph: b.build(), opsetImports: ["": 13]), bindings: ["N": 3])
    XCTAssertEqual(known["back"]?.knownIntegers, [3])
    XCTAssertEqual(known["inexact"]?.knownIntegers, [13])

    // N / 2 may truncate: no symbol stands for it, so a Reshape to it is refused.
    let c = GraphBuilder(name: "halves")
    let y = c.input("x", ["N", 4])
    let n = c.node("Gather", name: "n", inputs: [c.node("Shape", name: "s", inputs: [y]), c.constant("z", ShapeTest.ints([0], dims: []))], attributes: ["axis": .int(0)])
    let half = c.node("Div", name: "half", inputs: [n, c.constant("two", ShapeTest.ints([2], dims: []))])
    let t = c.node("Concat", name: "t", inputs: [c.node("Unsqueeze", name: "u", inputs: [half, c.constant("a", ShapeTest.ints([0]))]), c.constant("eight", ShapeTest.ints([8]))], attributes: ["axis": .int(0)])
    c.node("Reshape", name: "r", inputs: [y, t])
    c.output("r")
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(c) }.contains("not known at compile time"))
  }
}
