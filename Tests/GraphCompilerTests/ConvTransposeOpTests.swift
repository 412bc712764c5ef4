import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// ConvTranspose: its shape rule (pads, strides, dilations, output_padding, output_shape,
/// auto_pad, groups), its refusals, and compiled plans against the reference interpreter.
final class ConvTransposeOpTests: XCTestCase {
  func testShapes() throws {
    let b = GraphBuilder(name: "convt")
    let x = b.input("x", ["N", 6, 5, 7])
    let w = b.constant("w", ShapeTest.weight([6, 4, 3, 3]))
    let wg = b.constant("wg", ShapeTest.weight([6, 2, 3, 3]))
    let bias = b.constant("b", ShapeTest.weight([4]))
    b.node("ConvTranspose", name: "plain", inputs: [x, w, bias])
    b.node(
      "ConvTranspose", name: "strided", inputs: [x, w],
      attributes: ["strides": .ints([2, 3]), "pads": .ints([1, 0, 0, 2]), "output_padding": .ints([1, 2]), "dilations": .ints([2, 1])])
    b.node("ConvTranspose", name: "grouped", inputs: [x, wg], attributes: ["group": .int(3)])
    b.node("ConvTranspose", name: "shaped", inputs: [x, w], attributes: ["strides": .ints([2, 2]), "output_shape": .ints([10, 16])])
    b.node("ConvTranspose", name: "shaped_nc", inputs: [x, w], attributes: ["strides": .ints([2, 2]), "output_shape": .ints([1, 4, 9, 13])])
    b.node("ConvTranspose", name: "upper", inputs: [x, w], attributes: ["strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
    b.node("ConvTranspose", name: "lower", inputs: [x, w], attributes: ["strides": .ints([3, 1]), "auto_pad": .string("SAME_LOWER")])
    b.node("ConvTranspose", name: "valid", inputs: [x, w], attributes: ["strides": .ints([2, 2]), "auto_pad": .string("VALID"), "pads": .ints([1, 1, 1, 1])])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("plain"), "Nx4x7x9")
    XCTAssertEqual(g.shape("strided"), "Nx4x13x21")
    XCTAssertEqual(g.shape("grouped"), "Nx6x7x9")
    XCTAssertEqual(g.shape("shaped"), "Nx4x10x16")
    XCTAssertEqual(g.shape("shaped_nc"), "Nx4x9x13")
    XCTAssertEqual(g.shape("upper"), "Nx4x10x14")
    XCTAssertEqual(g.shape("lower"), "Nx4x15x7")
    XCTAssertEqual(g.shape("valid"), "Nx4x11x15")
  }

  /// A symbolic spatial size gives a readable expression, equal to the doubling it is.
  func testSymbolicSpatialSize() throws {
    let b = GraphBuilder(name: "convt_symbolic")
    let x = b.input("x", ["N", 2, "H", 3])
    let w = b.constant("w", ShapeTest.weight([2, 3, 4, 4]))
    b.node("ConvTranspose", name: "up", inputs: [x, w], attributes: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
    b.node("ConvTranspose", name: "wide", inputs: [x, w], attributes: ["strides": .ints([3, 3])])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("up"), "Nx3xH*2x6")
    XCTAssertEqual(g.shape("wide"), "Nx3xH*3+1x10")
  }

  func testBadAttributesNameTheNode() {
    func refusal(_ weight: [Int], _ attributes: [String: Attribute], bias: [Int]? = nil, line: UInt = #line) -> String {
      let b = GraphBuilder(name: "bad")
      let x = b.input("x", ["N", 4, 5, 5])
      let w = b.constant("w", ShapeTest.weight(weight))
      let inputs = [x, w] + (bias.map { [b.constant("b", ShapeTest.weight($0))] } ?? [])
      b.node("ConvTranspose", name: "up", inputs: inputs, attributes: attributes)
      let message = ShapeTest.error({ try ShapeTest.infer(b) }, line: line)
      XCTAssertTrue(message.contains("'up'"), message, line: line)
      return message
    }
    XCTAssertTrue(refusal([8, 2, 3, 3], [:]).contains("its 8 input channels do not match the input's 4"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["group": .int(3)]).contains("not divisible by group 3"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["kernel_shape": .ints([2, 2])]).contains("kernel_shape [2, 2] does not match"))
    XCTAssertTrue(refusal([4, 2, 3, 3], [:], bias: [3]).contains("bias shape 3 must be [2]"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["output_padding": .ints([1])]).contains("output_padding [1] must be 2 values"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["output_shape": .ints([10, 10, 10])]).contains("output_shape [10, 10, 10] must be 2 positive sizes"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["pads": .ints([4, 4, 3, 3])]).contains("leave no output along spatial axis 2"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["strides": .ints([0, 1])]).contains("strides [0, 1] must be between 1"))
    XCTAssertTrue(refusal([4, 2, 3, 3], ["auto_pad": .string("SAME")]).contains("auto_pad 'SAME' is not one of"))
  }

  /// Weights computed at run time have no packed GEMM: refused by name, not trapped on.
  func testRuntimeWeightsAreRefused() {
    let g = TestGraph("convt_runtime", seed: 3)
    let x = g.input("x", ["N", 4, 5, 5])
    let w = g.input("w", [4, 2, 3, 3])
    g.output(g.node("ConvTranspose", "up", [x, w]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) {
      let message = "\($0)"
      XCTAssertTrue(message.contains("its weights (input 1, 'w') must be a constant known at compile time") && message.contains("up"), message)
    }
  }

  /// PyTorch's upsampling (4x4, stride 2, pad 1) + Relu fuses into one step, writes its part of a
  /// skip Concat in place, and matches the reference with every attribute set.
  func testCompiledMatchesReference() throws {
    let g = TestGraph("convt_decoder", seed: 4)
    let x = g.input("x", ["N", 3, 5, 4])
    let up = g.node("ConvTranspose", "up", [x, g.weight("w", [3, 4, 4, 4]), g.weight("b", [4])], ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
    let skip = g.input("skip", ["N", 2, 10, 8])
    let cat = g.node("Concat", "cat", [g.node("Relu", "relu", [up]), skip], ["axis": .int(1)])
    g.output(g.node(
      "ConvTranspose", "decoded", [cat, g.weight("w2", [6, 2, 3, 2]), g.weight("b2", [4])],
      ["group": .int(2), "strides": .ints([2, 3]), "dilations": .ints([1, 2]), "pads": .ints([1, 0, 0, 2]), "output_padding": .ints([1, 2])]))
    g.output(g.node("ConvTranspose", "shaped", [x, g.weight("w3", [3, 2, 3, 3])], ["strides": .ints([2, 2]), "output_shape": .ints([12, 8]), "auto_pad": .string("SAME_UPPER")]))
    let model = g.model()
    let steps = try Pipeline.compile(model).plan.steps
    let transposed = steps.compactMap { step -> ConvolutionTranspose? in if case .convTranspose(let c) = step.kernel { c } else { nil } }
    XCTAssertEqual(transposed.count, 3, "\(steps.map(\.kernel))")
    XCTAssertEqual(transposed.first?.activation, .relu, "Relu fused")
    XCTAssertEqual(transposed.first?.weightLayout, .gemmPanels, "weights packed at compile time")
    XCTAssertFalse(steps.contains { if case .activation = $0.kernel { true } else { false } })
    XCTAssertEqual(transposed[2].geometry.padsBegin, [0, 0], "output_shape one above what the window spans pads nothing")
    try assertCompiledMatchesReference(model)
  }

  /// DCGAN's block, ConvTranspose (no bias, groups) → BatchNorm → Relu, is one step: the
  /// BatchNorm folds into the weights of each output channel and the Relu into the epilogue.
  func testBatchNormFoldsAndReluFuses() throws {
    let g = TestGraph("convt_bn", seed: 6)
    let up = g.node("ConvTranspose", "up", [g.input("x", ["N", 4, 3, 5]), g.weight("w", [4, 3, 4, 4])], ["group": .int(2), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
    g.output(g.node("Relu", "relu", [g.batchNorm("bn", up, 6)]))
    let model = g.model()
    let steps = try Pipeline.compile(model).plan.steps
    XCTAssertEqual(steps.count, 1, "\(steps.map(\.kernel))")
    guard case .convTranspose(let c)? = steps.first?.kernel else { return XCTFail("\(steps)") }
    XCTAssertEqual(c.activation, .relu)
    XCTAssertNotNil(c.bias, "the BatchNorm's shift")
    try assertCompiledMatchesReference(model)
  }

  func testOneAndThreeDimensional() throws {
    let g = TestGraph("convt_1d_3d", seed: 5)
    g.output(g.node("ConvTranspose", "line", [g.input("x", ["N", 3, 7]), g.weight("w", [3, 2, 5])], ["strides": .ints([3]), "pads": .ints([2, 1]), "output_padding": .ints([2])]))
    g.output(g.node(
      "ConvTranspose", "volume", [g.input("v", ["N", 4, 2, 3, 3]), g.weight("wv", [4, 1, 2, 2, 3]), g.weight("bv", [2])],
      ["group": .int(2), "strides": .ints([2, 1, 2]), "auto_pad": .string("SAME_LOWER")]))
    try assertCompiledMatchesReference(g.model())
  }
}
