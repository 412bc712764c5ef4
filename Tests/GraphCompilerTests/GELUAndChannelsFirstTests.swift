import GraphIR
import GraphPlan
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// GELU's exported forms become one activation fused into the step before it, and ConvNeXt's
/// channels-last MLP runs as 1x1 convolutions; the compiled plans match the reference
/// interpreter on the unfused graphs, bit-identical on 1 and 2 threads.
final class GELUAndChannelsFirstTests: XCTestCase {
  /// The ways exporters write GELU after a Gemm: PyTorch's `Mul(Mul(x, 1 + erf(x / √2)), 0.5)`,
  /// `Mul(Mul(x, 0.5), 1 + erf(x · 1/√2))`, `Mul(0.5, Mul(1 + erf, x))`, and the tanh form with
  /// `Pow(x, 3)` or `x · x · x`.
  func testDecomposedGELUFusesIntoGemm() throws {
    for form in 0..<5 {
      let g = TestGraph("gelu\(form)")
      let x = g.dense("fc", g.input("x", ["N", 12]), 12, 20)
      let activation: Activation = form < 3 ? .gelu : .geluTanh
      let one = g.scalar("one", 1), half = g.scalar("half", 0.5)
      let core: String
      if form < 3 {
        let scaled = form == 1 ? g.node("Mul", "scale", [x, g.scalar("inv_sqrt2", 0.707_106_77)]) : g.node("Div", "scale", [x, g.scalar("sqrt2", 1.414_213_5)])
        core = g.node("Erf", "core", [scaled])
      } else {
        let cube = form == 3 ? g.node("Pow", "cube", [x, g.scalar("three", 3)]) : g.node("Mul", "cube", [g.node("Mul", "square", [x, x]), x])
        let sum = g.node("Add", "sum", [x, g.node("Mul", "kappa_cube", [g.scalar("kappa", 0.044715), cube])])
        core = g.node("Tanh", "core", [g.node("Mul", "inner", [sum, g.scalar("beta", 0.797_884_6)])])
      }
      let onePlus = g.node("Add", "one_plus", [core, one])
      switch form {
      case 1: g.output(g.node("Mul", "gelu", [g.node("Mul", "half_x", [x, half]), onePlus]))
      case 2: g.output(g.node("Mul", "gelu", [half, g.node("Mul", "product", [onePlus, x])]))
      default: g.output(g.node("Mul", "gelu", [g.node("Mul", "product", [x, onePlus]), half]))
      }
      let out = try Pipeline.compile(g.model(opset: 13))
      XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedGemm"], "form \(form)")
      XCTAssertEqual(out.fusions["fc"]?.activation, activation, "form \(form)")
      guard case .dense(let d) = out.plan.steps.first?.kernel, out.plan.steps.count == 1 else { return XCTFail("one dense step") }
      XCTAssertEqual(d.activation, activation)
      try assertCompiledMatchesReference(g.model(opset: 13))
    }
  }

  /// A GELU whose inner value is read elsewhere, or with the wrong constant, is left as it is.
  func testGELULookalikesStay() throws {
    for variant in 0..<2 {
      let g = TestGraph("not_gelu\(variant)")
      let x = g.input("x", ["N", 12])
      let scaled = g.node("Div", "scale", [x, g.scalar("sqrt2", variant == 0 ? 1.414_213_5 : 1.5)])
      let core = g.node("Erf", "core", [scaled])
      let onePlus = g.node("Add", "one_plus", [core, g.scalar("one", 1)])
      g.output(g.node("Mul", "gelu", [g.node("Mul", "product", [x, onePlus]), g.scalar("half", 0.5)]))
      if variant == 0 { g.output(scaled) }
      let out = try Pipeline.compile(g.model(opset: 13))
      XCTAssertFalse(Compile.ops(out.graph).contains("graphc.GELU"), "variant \(variant)")
      try assertCompiledMatchesReference(g.model(opset: 13))
    }
  }

  /// ONNX Gelu (opset 20), both forms, fuses into the conv before it; before opset 20 it is refused.
  func testGeluOpFusesIntoConv() throws {
    for (approximate, activation) in [("none", Activation.gelu), ("tanh", .geluTanh)] {
      let g = TestGraph("gelu_op_\(approximate)")
      let c = g.conv("conv", g.input("x", ["N", 3, 6, 5]), 3, 4, k: 3, pad: 1)
      g.output(g.node("Gelu", "gelu", [c], ["approximate": .string(approximate)]))
      let out = try Pipeline.compile(g.model(opset: 20))
      XCTAssertEqual(Compile.ops(out.graph), ["graphc.FusedConv"])
      guard case .conv(let step) = out.plan.steps.first?.kernel, out.plan.steps.count == 1 else { return XCTFail("one conv step") }
      XCTAssertEqual(step.activation, activation)
      try assertCompiledMatchesReference(g.model(opset: 20))
    }
    let g = TestGraph("gelu_old")
    g.output(g.node("Gelu", "gelu", [g.input("x", ["N", 4])]))
    XCTAssertThrowsError(try Pipeline.compile(g.model(opset: 17))) { error in
      XCTAssertTrue("\(error)".contains("opset 20"), "\(error)")
    }
  }

  /// ConvNeXt's block: Transpose → LayerNorm → MatMul → Add → GELU → MatMul → Add → Transpose →
  /// Mul(layer scale) → Add(x). The transposes cancel, the LayerNorm runs across channels and the
  /// MLP as two 1x1 convs (GELU, then scale and residual folded and fused): no transpose, dense
  /// or binary step left.
  func testConvNeXtBlockRunsChannelsFirst() throws {
    let g = TestGraph("convnext_block")
    let x = g.input("x", ["N", 8, 5, 6])
    let t = g.node("Transpose", "to_last", [x], ["perm": .ints([0, 2, 3, 1])])
    let norm = g.node("LayerNormalization", "norm", [t, g.weight("norm.scale", [8], 0.5, 1.5), g.weight("norm.bias", [8])],
                      ["axis": .int(-1), "epsilon": .float(1e-6)])
    let up = g.node("Add", "up_bias", [g.weight("up.bias", [32]), g.node("MatMul", "up", [norm, g.weight("up.weight", [8, 32])])])
    let scaled = g.node("Div", "gelu_div", [up, g.scalar("sqrt2", 1.414_213_5)])
    let onePlus = g.node("Add", "gelu_add", [g.node("Erf", "gelu_erf", [scaled]), g.scalar("one", 1)])
    let gelu = g.node("Mul", "gelu", [g.node("Mul", "gelu_mul", [up, onePlus]), g.scalar("half", 0.5)])
    let down = g.node("Add", "down_bias", [g.weight("down.bias", [8]), g.node("MatMul", "down", [gelu, g.weight("down.weight", [32, 8])])])
    let back = g.node("Transpose", "to_first", [down], ["perm": .ints([0, 3, 1, 2])])
    g.output(g.node("Add", "residual", [g.node("Mul", "layer_scale", [g.weight("gamma", [8, 1, 1]), back]), x]))
    let model = g.model(opset: 17)
    let out = try Pipeline.compile(model)
    XCTAssertEqual(
      Compile.ops(out.graph), ["graphc.ChannelNorm", "graphc.FusedConv", "graphc.FusedConv"])
    let kinds = out.plan.steps.map { PlanDescription.kind($0.kernel) }
    XCTAssertEqual(kinds, ["channel-norm", "conv", "conv"])
    let convs = out.plan.steps.compactMap { step -> Convolution? in if case .conv(let c) = step.kernel { c } else { nil } }
    XCTAssertEqual(convs.map(\.activation), [.gelu, .none])
    XCTAssertEqual(convs.map(\.residual), [false, true])
    try assertCompiledMatchesReference(model)
  }

  /// ConvNeXt's downsampling: Transpose → LayerNorm → Transpose → Conv is one channel norm and the conv.
  /// A LayerNorm whose normalized input is also read elsewhere keeps its transposes.
  func testLayerNormBetweenTransposesRunsAcrossChannels() throws {
    for shared in [false, true] {
      let g = TestGraph("downsample\(shared)")
      let x = g.input("x", ["N", 8, 6, 6])
      let t = g.node("Transpose", "to_last", [x], ["perm": .ints([0, 2, 3, 1])])
      let norm = g.node("LayerNormalization", "norm", [t, g.weight("norm.scale", [8], 0.5, 1.5), g.weight("norm.bias", [8])],
                        ["axis": .int(-1), "epsilon": .float(1e-6)])
      let back = g.node("Transpose", "to_first", [norm], ["perm": .ints([0, 3, 1, 2])])
      g.output(g.conv("down", back, 8, 16, k: 2, ["strides": .ints([2, 2])]))
      if shared { g.output(t) }
      let out = try Pipeline.compile(g.model(opset: 17))
      XCTAssertEqual(
        Compile.ops(out.graph), shared ? ["Transpose", "LayerNormalization", "Transpose", "Conv"] : ["graphc.ChannelNorm", "Conv"])
      try assertCompiledMatchesReference(g.model(opset: 17))
    }
  }

  /// A chain of only element-wise work that does not start at a transpose, or whose values are read
  /// elsewhere, keeps its transpose; between two transposes that cancel it runs channels-first.
  func testTransposeStaysWithoutGainOrWithOtherReaders() throws {
    for variant in 0..<3 {
      let g = TestGraph("stay\(variant)")
      let t = variant == 0
        ? g.input("x", ["N", 5, 6, 8])
        : g.node("Transpose", "to_last", [g.input("x", ["N", 8, 5, 6])], ["perm": .ints([0, 2, 3, 1])])
      let y = variant == 1 ? g.node("MatMul", "mm", [t, g.weight("w", [8, 4])]) : g.node("Relu", "relu", [t])
      g.output(g.node("Transpose", "to_first", [y], ["perm": .ints([0, 3, 1, 2])]))
      if variant == 1 { g.output(y) }
      let out = try Pipeline.compile(g.model(opset: 17))
      XCTAssertEqual(Compile.ops(out.graph), [["Relu", "Transpose"], ["Transpose", "MatMul", "Transpose"], ["Relu"]][variant])
      try assertCompiledMatchesReference(g.model(opset: 17))
    }
  }
}
