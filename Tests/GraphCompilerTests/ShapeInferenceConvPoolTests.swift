import GraphIR
import XCTest

@testable import GraphCompiler

final class ShapeInferenceConvPoolTests: XCTestCase {
  func testConvPadsStridesDilationsGroup() throws {
    let b = GraphBuilder(name: "conv")
    let x = b.input("x", ["N", 6, 17, 16])
    let w = b.constant("w", ShapeTest.weight([8, 6, 3, 3]))
    let bias = b.constant("b", ShapeTest.weight([8]))
    let wg = b.constant("wg", ShapeTest.weight([9, 2, 1, 1]))
    b.node("Conv", name: "plain", inputs: [x, w, bias])
    b.node("Conv", name: "padded", inputs: [x, w], attributes: ["pads": .ints([1, 2, 0, 1]), "dilations": .ints([2, 1])])
    b.node("Conv", name: "strided", inputs: [x, w], attributes: ["strides": .ints([2, 3]), "pads": .ints([1, 1, 1, 1])])
    b.node("Conv", name: "grouped", inputs: [x, wg], attributes: ["group": .int(3)])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("plain"), "Nx8x15x14")
    XCTAssertEqual(g.shape("padded"), "Nx8x14x17")
    XCTAssertEqual(g.shape("strided"), "Nx8x9x6")
    XCTAssertEqual(g.shape("grouped"), "Nx9x17x16")
  }

  func testConvAutoPad() throws {
    let b = GraphBuilder(name: "autopad")
    let x = b.input("x", [1, 6, 17, 16])
    let w = b.constant("w", ShapeTest.weight([8, 6, 3, 3]))
    b.node("Conv", name: "upper", inputs: [x, w], attributes: ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])])
    b.node("Conv", name: "lower", inputs: [x, w], attributes: ["auto_pad": .string("SAME_LOWER")])
    b.node("Conv", name: "valid", inputs: [x, w], attributes: ["auto_pad": .string("VALID"), "strides": .ints([2, 3])])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("upper"), "1x8x9x8")
    XCTAssertEqual(g.shape("lower"), "1x8x17x16")
    XCTAssertEqual(g.shape("valid"), "1x8x8x5")
  }

  func testConvChannelMismatchNamesNodeAndShapes() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", ["N", 32, 56, 56])
    let w = b.constant("w", ShapeTest.weight([128, 64, 3, 3]))
    b.node("Conv", name: "conv2", inputs: [x, w])
    let message = ShapeTest.error { try ShapeTest.infer(b) }
    XCTAssertEqual(message, "node 'conv2' (Conv): weight expects 64 input channels (weight 128x64x3x3), input has 32 (Nx32x56x56)")
  }

  func testConvKernelShapeAttributeMustMatchWeight() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [1, 3, 8, 8])
    let w = b.constant("w", ShapeTest.weight([4, 3, 3, 3]))
    b.node("Conv", name: "c", inputs: [x, w], attributes: ["kernel_shape": .ints([5, 5])])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("kernel_shape [5, 5] does not match"))
  }

  func testConvKernelLargerThanInput() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [1, 3, 2, 2])
    let w = b.constant("w", ShapeTest.weight([4, 3, 3, 3]))
    b.node("Conv", name: "c", inputs: [x, w])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("node 'c' (Conv): window 3"))
  }

  func testPoolCeilModeDropsWindowStartingInRightPadding() throws {
    let b = GraphBuilder(name: "pool")
    let x = b.input("x", ["N", 3, 10, 11])
    let k2s2 = ["kernel_shape": Attribute.ints([2, 2]), "strides": .ints([2, 2])]
    b.node("MaxPool", name: "floor", inputs: [x], attributes: k2s2.merging(["pads": .ints([0, 0, 1, 1])]) { $1 })
    // Ceil would give 6 rows, but the 6th window would start at row 10, inside the end padding only.
    b.node("AveragePool", name: "ceil", inputs: [x], attributes: k2s2.merging([
      "pads": .ints([0, 0, 1, 1]), "ceil_mode": .int(1), "count_include_pad": .int(1),
    ]) { $1 })
    b.node("MaxPool", name: "ceil3", inputs: [x], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])
    b.node("MaxPool", name: "same", inputs: [x], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
    b.node("MaxPool", name: "dilated", inputs: [x], attributes: k2s2.merging(["dilations": .ints([2, 2])]) { $1 })
    b.node("GlobalAveragePool", name: "gap", inputs: [x])
    b.node("GlobalMaxPool", name: "gmp", inputs: [x])
    let g = try ShapeTest.infer(b)
    XCTAssertEqual(g.shape("floor"), "Nx3x5x6")
    XCTAssertEqual(g.shape("ceil"), "Nx3x5x6")
    XCTAssertEqual(g.shape("ceil3"), "Nx3x5x5")
    XCTAssertEqual(g.shape("same"), "Nx3x5x6")
    XCTAssertEqual(g.shape("dilated"), "Nx3x4x5")
    XCTAssertEqual(g.shape("gap"), "Nx3x1x1")
    XCTAssertEqual(g.shape("gmp"), "Nx3x1x1")
  }

  func testPoolNeedsKernelShapeOfRightLength() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [1, 3, 8, 8])
    b.node("MaxPool", name: "p", inputs: [x], attributes: ["kernel_shape": .ints([2])])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("node 'p' (MaxPool): kernel_shape [2] has 1 values"))
  }

  /// The window arithmetic is per axis, so 3-D convolutions and pools follow the 2-D rules on
  /// every axis: pads, strides, dilations, groups, auto_pad and ceil_mode.
  func testThreeDimensionalConvAndPools() throws {
    let b = GraphBuilder(name: "volumes")
    let x = b.input("x", ["N", 4, 9, 10, 11])
    let w = b.constant("w", ShapeTest.weight([6, 4, 3, 3, 3]))
    let wg = b.constant("wg", ShapeTest.weight([8, 2, 1, 3, 2]))
    b.node("Conv", name: "conv", inputs: [x, w], attributes: [
      "pads": .ints([1, 0, 2, 1, 0, 0]), "strides": .ints([1, 2, 3]), "dilations": .ints([2, 1, 1]),
    ])
    b.node("Conv", name: "grouped", inputs: [x, wg], attributes: ["group": .int(2)])
    b.node("Conv", name: "same", inputs: [x, w], attributes: ["auto_pad": .string("SAME_LOWER"), "strides": .ints([2, 2, 2])])
    b.node("MaxPool", name: "max", inputs: [x], attributes: [
      "kernel_shape": .ints([2, 3, 2]), "strides": .ints([2, 2, 2]), "ceil_mode": .int(1),
    ])
    b.node("AveragePool", name: "avg", inputs: [x], attributes: [
      "kernel_shape": .ints([3, 3, 3]), "pads": .ints([1, 1, 1, 1, 1, 1]), "count_include_pad": .int(1), "dilations": .ints([1, 2, 3]),
    ])
    b.node("AveragePool", name: "valid", inputs: [x], attributes: ["kernel_shape": .ints([2, 2, 2]), "auto_pad": .string("VALID"), "strides": .ints([3, 3, 3])])
    b.node("GlobalMaxPool", name: "gmp", inputs: [x])
    let g = try ShapeTest.infer(b)
    // d: 9+1+1-5+1 = 7; h: (10-3)/2+1 = 4; w: (11+2-3)/3+1 = 4.
    XCTAssertEqual(g.shape("conv"), "Nx6x7x4x4")
    XCTAssertEqual(g.shape("grouped"), "Nx8x9x8x10")
    XCTAssertEqual(g.shape("same"), "Nx6x5x5x6")
    // Ceil: d ceil(7/2)+1 = 5, h ceil(7/2)+1 = 5, w ceil(9/2)+1 = 6.
    XCTAssertEqual(g.shape("max"), "Nx4x5x5x6")
    XCTAssertEqual(g.shape("avg"), "Nx4x9x8x7")
    XCTAssertEqual(g.shape("valid"), "Nx4x3x3x4")
    XCTAssertEqual(g.shape("gmp"), "Nx4x1x1x1")
  }

  func testThreeDimensionalPoolNeedsThreeKernelSizes() {
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [1, 3, 8, 8, 8])
    b.node("AveragePool", name: "p", inputs: [x], attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([1, 1, 1])])
    XCTAssertTrue(ShapeTest.error { try ShapeTest.infer(b) }.contains("node 'p' (AveragePool): kernel_shape [2, 2] has 2 values, input 1x3x8x8x8 has 3 spatial axes"))
  }
}
