import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

final class FoldBatchNormTests: XCTestCase {
  func testConvBatchNormIsFolded() throws {
    let context = try Compile.context(TestGraphs.convBatchNorm(), [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["Conv", "Relu"])
    XCTAssertEqual(context.report.batchnormFolded, 1)
    let conv = context.graph.nodes[0]
    XCTAssertEqual(conv.outputs, ["bn"], "the conv now produces the BatchNorm's output")
    XCTAssertEqual(conv.inputs, ["x", "conv.folded_weight", "conv.folded_bias"])
    XCTAssertEqual(context.graph.nodes[1].inputs, ["bn"])
  }

  /// BatchNorm on a graph input or after a pool has nothing to fold into: it stays and runs as a channel affine.
  func testBatchNormWithoutFoldableProducerStaysAsChannelAffine() throws {
    let model = TestGraphs.lonelyBatchNorm()
    let context = try Compile.context(model, [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["BatchNormalization", "MaxPool", "BatchNormalization", "Relu"])
    XCTAssertEqual(context.report.batchnormFolded, 0)
    let compiled = try Pipeline.compile(model)
    let affine = compiled.plan.steps.filter { if case .channelAffine = $0.kernel { return true } else { return false } }
    XCTAssertEqual(affine.map(\.name), ["bn", "bn2"])
  }

  /// Per-channel Mul then Add by constants after a bias-less conv fold into its weights and a new bias.
  func testPerChannelMulAndAddAfterConvAreFolded() throws {
    let context = try Compile.context(TestGraphs.convMulAdd(), [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["Conv"])
    XCTAssertEqual(context.report.affineFolded, 2)
    XCTAssertEqual(context.graph.nodes[0].outputs, ["add"])
    XCTAssertEqual(context.graph.initializers[context.graph.nodes[0].inputs[2]]?.dims, [4])
  }

  func testGemmBatchNormIsFolded() throws {
    let context = try Compile.context(TestGraphs.gemmBatchNorm(), [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["Gemm"])
    XCTAssertEqual(context.report.batchnormFolded, 1)
    XCTAssertEqual(context.graph.nodes[0].attributes["beta"], .float(1))
  }

  /// A conv read by the BatchNorm and by another node must keep its unfolded output.
  func testConvWithTwoConsumersIsNotFolded() throws {
    let g = TestGraph("two_consumers")
    let x = g.input("x", ["N", 2, 4, 4])
    let c = g.conv("conv", x, 2, 3, k: 1)
    g.output(g.batchNorm("bn", c, 3))
    g.output(g.node("Relu", "relu", [c]))
    let model = g.model()
    let context = try Compile.context(model, [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["Conv", "BatchNormalization", "Relu"])
    try assertCompiledMatchesReference(model)
  }

  /// Two convs sharing one weight tensor: folding a BatchNorm into one must not change the other.
  func testSharedWeightsAreNotChangedForTheOtherConv() throws {
    let g = TestGraph("shared_weights", seed: 21)
    let x = g.input("x", ["N", 2, 4, 4])
    let w = g.weight("w", [3, 2, 3, 3])
    let a = g.node("Conv", "conv_a", [x, w], ["pads": .ints([1, 1, 1, 1])])
    let b = g.node("Conv", "conv_b", [x, w], ["pads": .ints([1, 1, 1, 1])])
    g.output(g.batchNorm("bn", a, 3))
    g.output(b)
    let model = g.model()
    let context = try Compile.context(model, [FoldBatchNorm()])
    XCTAssertEqual(context.report.batchnormFolded, 1)
    XCTAssertEqual(context.graph.nodes[1].inputs, ["x", "w"])
    XCTAssertEqual(context.graph.initializers["w"], model.graph.initializers["w"])
    try assertCompiledMatchesReference(model)
  }
}

final class FoldBatchNormEdgeTests: XCTestCase {
  /// Mul by a one-element constant of higher rank broadcasts the output to that rank: folding it would drop dims.
  func testOneElementConstantOfHigherRankIsNotFolded() throws {
    let g = TestGraph("rank_raise")
    let x = g.input("x", ["N", 4])
    let fc = g.dense("fc", x, 4, 3)
    g.output(g.node("Mul", "mul", [fc, g.builder.constant("k", Tensor(floats: [2], dims: [1, 1, 1]))]))
    let context = try Compile.context(g.model(), [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["Gemm", "Mul"])
    XCTAssertEqual(context.shapes["mul"], [1, "N", 3])
  }

  /// Gemm with transB 0, alpha, beta and a scalar C, then BatchNorm, Relu and a scalar Mul.
  func testGemmVariantsFoldToTheSameResults() throws {
    let g = TestGraph("gemm_variants", seed: 41)
    let x = g.input("x", ["N", 6])
    let fc = g.node("Gemm", "fc", [x, g.weight("w", [6, 5]), g.weight("c", [1])], ["alpha": .float(0.5), "beta": .float(2)])
    let bn = g.batchNorm("bn", fc, 5)
    let r = g.node("Relu", "relu", [bn])
    g.output(g.node("Mul", "scale", [g.dense("fc2", r, 5, 3), g.scalar("k", -1.5)]))
    let model = g.model()
    let context = try Compile.context(model, [FoldBatchNorm()])
    XCTAssertEqual(Compile.ops(context.graph), ["Gemm", "Relu", "Gemm"])
    XCTAssertEqual(context.report.batchnormFolded, 1)
    XCTAssertEqual(context.report.affineFolded, 1)
    try assertCompiledMatchesReference(model)
  }
}
