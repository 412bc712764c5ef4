import GraphIR
import GraphPlan
import GraphRuntime
import XCTest

@testable import GraphCompiler

final class FusionTests: XCTestCase {
  func testConvRelu() throws {
    let out = try Pipeline.compile(TestGraphs.convBatchNorm())
    XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedConv"])
    XCTAssertEqual(out.fusions["conv"], Fusion(activation: .relu, absorbed: ["conv", "relu"]))
    XCTAssertEqual(out.report.convRelu, 1)
    XCTAssertEqual(out.report.batchnormFolded, 1)
    XCTAssertEqual(out.plan.steps.count, 1)
  }

  func testConvClip06() throws {
    let out = try Pipeline.compile(TestGraphs.convClip())
    XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedConv"])
    XCTAssertEqual(out.fusions[out.graph.nodes[0].name]?.activation, .clip(min: 0, max: 6))
    guard case .conv(let c) = out.plan.steps[0].kernel else { return XCTFail("expected a conv step") }
    XCTAssertEqual(c.activation, .clip(min: 0, max: 6))
    XCTAssertEqual(out.report.convRelu, 1, "conv+clip counts with conv+relu")
  }

  /// conv_a + Relu, then conv_b + Add(relu_a) + Relu with relu_a as the residual.
  func testConvAddReluWithResidual() throws {
    let out = try Pipeline.compile(TestGraphs.residual())
    XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedConv", "graphc.FusedConv"])
    let second = out.graph.nodes[1]
    XCTAssertEqual(second.inputs, ["relu_a", "conv_b.weight", "conv_b.bias", "relu_a"])
    XCTAssertEqual(second.outputs, ["relu_out"])
    XCTAssertEqual(out.fusions[second.name], Fusion(activation: .relu, absorbed: ["conv_b", "add", "relu_out"]))
    XCTAssertEqual(out.report.convRelu, 1)
    XCTAssertEqual(out.report.convAddRelu, 1)
    XCTAssertEqual(out.plan.steps.count, 2)
    guard case .conv(let c) = out.plan.steps[1].kernel else { return XCTFail("expected a conv step") }
    XCTAssertTrue(c.residual)
    XCTAssertEqual(c.activation, .relu)
  }

  /// Mul(x, Sigmoid(x)) in either operand order is one SiLU activation, fused into the conv before it
  /// (or into a residual conv); a Sigmoid with another use, or a Mul of something else, stays as it is.
  func testSiLUFusesIntoConv() throws {
    for sigmoidFirst in [false, true] {
      let g = TestGraph("silu")
      let x = g.input("x", ["N", 3, 6, 5])
      let c = g.conv("conv", x, 3, 4, k: 3, pad: 1)
      let s = g.node("Sigmoid", "sigmoid", [c])
      g.output(g.node("Mul", "silu", sigmoidFirst ? [s, c] : [c, s]))
      let out = try Pipeline.compile(g.model(opset: 13))
      XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedConv"])
      XCTAssertEqual(out.fusions["conv"], Fusion(activation: .silu, absorbed: ["conv", "sigmoid", "silu"]))
      guard case .conv(let step) = out.plan.steps.first?.kernel, out.plan.steps.count == 1 else { return XCTFail("one conv step") }
      XCTAssertEqual(step.activation, .silu)
      try assertCompiledMatchesReference(g.model(opset: 13))
    }
    // The sigmoid is also an output: no fusion, same numbers.
    let g = TestGraph("gate")
    let x = g.input("x", ["N", 3, 6, 5])
    let c = g.conv("conv", x, 3, 4, k: 3, pad: 1)
    let s = g.node("Sigmoid", "sigmoid", [c])
    g.output(g.node("Mul", "silu", [c, s]))
    g.output(s)
    let out = try Pipeline.compile(g.model(opset: 13))
    XCTAssertFalse(Compile.ops(out.graph).contains("graphc.SiLU"))
    try assertCompiledMatchesReference(g.model(opset: 13))
  }

  /// Every activation op fuses into the conv epilogue, and the fused plan matches the unfused reference.
  func testConvSigmoidFamilyFuses() throws {
    for (op, attributes, activation) in [
      ("Sigmoid", [:], Activation.sigmoid), ("HardSigmoid", ["alpha": .float(0.3)], .hardSigmoid(alpha: 0.3, beta: 0.5)),
      ("HardSwish", [:], .hardSwish),
    ] as [(String, [String: Attribute], Activation)] {
      let g = TestGraph(op.lowercased())
      let x = g.input("x", ["N", 3, 6, 5])
      let c = g.conv("conv", x, 3, 4, k: 3, pad: 1)
      g.output(g.node(op, "act", [c], attributes))
      let out = try Pipeline.compile(g.model(opset: 14))
      XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedConv"], op)
      XCTAssertEqual(out.fusions["conv"], Fusion(activation: activation, absorbed: ["conv", "act"]), op)
      guard case .conv(let step) = out.plan.steps.first?.kernel, out.plan.steps.count == 1 else { return XCTFail(op) }
      XCTAssertEqual(step.activation, activation, op)
      try assertCompiledMatchesReference(g.model(opset: 14))
    }
  }

  func testGemmRelu() throws {
    let out = try Pipeline.compile(TestGraphs.gemmRelu())
    XCTAssertEqual(Compile.ops(out.graph), ["graphc.View", "graphc.FusedGemm", "Gemm"])
    XCTAssertEqual(out.report.gemmRelu, 1)
    XCTAssertEqual(out.report.convRelu + out.report.convAddRelu, 0)
  }

  /// A conv whose output is also read elsewhere keeps its Relu separate.
  func testConvWithTwoConsumersIsNotFused() throws {
    let g = TestGraph("two_readers")
    let x = g.input("x", ["N", 2, 4, 4])
    let c = g.conv("conv", x, 2, 3, k: 1)
    g.output(g.node("Relu", "relu", [c]))
    g.output(c)
    let out = try Pipeline.compile(g.model())
    XCTAssertEqual(Compile.ops(out.graph), ["Conv", "Relu"])
    XCTAssertEqual(out.report.convRelu, 0)
  }
}
