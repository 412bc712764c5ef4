import GraphIR
import GraphPlan
import GraphRuntime
import TestSupport
import XCTest

@testable import GraphCompiler

/// The stage after lowering: its passes are named, ordered and printable.
final class LoweredPassesTests: XCTestCase {
  func testLoweredPassesRunInOrderAndPrint() throws {
    XCTAssertEqual(Pipeline.passNames.suffix(7), ["lower", "concat-in-place", "dense-point-convs", "reuse-inputs", "winograd", "pack-weights", "plan-memory"])
    var printed: [String: String] = [:]
    _ = try Pipeline.compile(TestGraphs.inception()) { pass, context in printed[pass] = context.text }
    // Lowering copies every concat input; concat-in-place removes the copies of computed branches.
    let lowered = try XCTUnwrap(printed["lower"]), inPlace = try XCTUnwrap(printed["concat-in-place"])
    XCTAssertEqual(lowered.components(separatedBy: ": copy ").count - 1, 4, lowered)
    XCTAssertEqual(inPlace.components(separatedBy: ": copy ").count - 1, 0, inPlace)
    XCTAssertTrue(inPlace.contains("(slice of "), inPlace)
    XCTAssertTrue(try XCTUnwrap(printed["plan-memory"]).hasPrefix("plan: "))
  }

  /// Squeeze-and-excitation's 1x1 convs over a pooled 1x1 plane run as dense steps (with their
  /// bias and activation), also into a concat's slices; a 1x1 conv over a larger plane, one with
  /// a residual and a padded one stay convs. The compiled graph still matches the interpreter
  /// (batch 1 and 3, 1 and 2 threads).
  func testPointConvsOverOnePixelRunAsDense() throws {
    let g = TestGraph("squeeze_excite", seed: 12)
    let x = g.input("x", ["N", 8, 5, 5])
    let c = g.conv("expand", x, 8, 24, k: 1)
    let pooled = g.node("GlobalAveragePool", "pool", [c])
    let squeezed = g.node("Relu", "relu", [g.conv("fc1", pooled, 24, 6, k: 1)])
    let gate = g.node("Sigmoid", "sigmoid", [g.conv("fc2", squeezed, 6, 24, k: 1)])
    let padded = g.conv("padded", gate, 24, 4, k: 1, pad: 1)  // 1x1 in, 3x3 out
    let added = g.node("Add", "add", [g.conv("fc3", gate, 24, 24, k: 1), pooled])  // residual
    g.output(g.node("Mul", "scaled", [c, added]))
    g.output(padded)
    // Two dense steps writing into a concat's slices in place.
    let joined = g.node("Concat", "joined", [g.conv("fc4", pooled, 24, 5, k: 1), g.conv("fc5", pooled, 24, 3, k: 1)], ["axis": .int(1)])
    g.output(g.node("Relu", "joined_relu", [joined]))
    try assertCompiledMatchesReference(g.model())
    let compiled = try Pipeline.compile(g.model())
    let listing = compiled.plan.steps.map { PlanDescription.summary($0.kernel) }
    XCTAssertEqual(compiled.report.convAlgorithms[PointConvsAsDense.algorithm], 4, "\(compiled.report.convAlgorithms)")
    XCTAssertEqual(listing.filter { $0.hasPrefix("dense 24→6") || $0.hasPrefix("dense 6→24") }.count, 2, "\(listing)")
    XCTAssertTrue(listing.contains { $0.hasPrefix("dense 6→24") && $0.hasSuffix("sigmoid") }, "\(listing)")
    XCTAssertEqual(listing.filter { $0.hasPrefix("conv ") }.count, 3, "\(listing)")
    XCTAssertTrue(PointConvsAsDense.applies(to: Conv2DGeometry(
      inChannels: 4, inHeight: 1, inWidth: 1, outChannels: 2, kernelHeight: 1, kernelWidth: 1, strideHeight: 2, strideWidth: 2,
      padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1)))
    XCTAssertFalse(PointConvsAsDense.applies(to: Conv2DGeometry(
      inChannels: 4, inHeight: 1, inWidth: 1, outChannels: 4, kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1,
      padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 2)))
  }

  /// A dying input of an element-wise step is overwritten: the step's output is a view of it.
  func testReuseInputsMakesElementwiseOutputsViews() throws {
    let g = TestGraph("chain")
    let x = g.input("x", ["N", 2, 4, 4])
    let c = g.conv("conv", x, 2, 2, k: 1)
    let s = g.node("Sub", "sub", [c, g.scalar("one", 1)])
    g.output(g.node("Relu", "relu", [s]))
    var printed: [String: String] = [:]
    _ = try Pipeline.compile(g.model()) { pass, context in printed[pass] = context.text }
    XCTAssertFalse(try XCTUnwrap(printed["concat-in-place"]).contains("sub 2x4x4 (view of"))
    XCTAssertTrue(try XCTUnwrap(printed["reuse-inputs"]).contains("sub 2x4x4 (view of conv)"), printed["reuse-inputs"]!)
  }

  /// `Sub(1, x)` (PyTorch's `1 - x`) lowers with the constant on the left and keeps the operand order.
  func testConstantFirstOperand() throws {
    let g = TestGraph("one_minus")
    let x = g.input("x", ["N", 2, 3])
    let d = g.node("Div", "div", [g.weight("w", [2, 3], 0.5, 2), x])
    g.output(g.node("Sub", "sub", [g.scalar("one", 1), d]))
    try assertCompiledMatchesReference(g.model())
    let out = try Pipeline.compile(g.model())
    let inputs = ["x": try FloatTensor(shape: [1, 2, 3], values: [1, 2, 4, -1, -2, 0.5])]
    let w = try XCTUnwrap(g.model().graph.initializers["w"]).floats
    let expected = zip(w, inputs["x"]!.values).map { 1 - $0 / $1 }
    XCTAssertEqual(try Compile.run(out, inputs, threads: 1)["sub"]?.values, expected)
  }

  /// The winograd pass takes the 3x3 stride-1 convs big enough to gain (16+ channels), with
  /// 4x4 tiles from 12x12 outputs and 2x2 tiles from 6x6, and the plan lists them; the compiled graph still matches the
  /// interpreter, batch 1 and 3, one and two threads (through assertCompiledMatchesReference).
  func testWinogradRuleAndListing() throws {
    func geometry(_ c: Int, _ m: Int, _ hw: Int, stride: Int = 1, pad: Int = 1, groups: Int = 1) -> Conv2DGeometry {
      Conv2DGeometry(
        inChannels: c, inHeight: hw, inWidth: hw, outChannels: m, kernelHeight: 3, kernelWidth: 3,
        strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad, padBottom: pad, padRight: pad, groups: groups)
    }
    XCTAssertEqual(SelectWinograd.variant(for: geometry(64, 64, 56)), .f4x4)
    XCTAssertEqual(SelectWinograd.variant(for: geometry(16, 24, 14, pad: 0)), .f4x4)  // 12x12 output
    XCTAssertEqual(SelectWinograd.variant(for: geometry(16, 24, 13, pad: 0)), .f2x2)  // 11x11
    XCTAssertEqual(SelectWinograd.variant(for: geometry(512, 512, 7)), .f2x2)
    XCTAssertEqual(SelectWinograd.variant(for: geometry(64, 64, 6)), .f2x2)
    XCTAssertNil(SelectWinograd.variant(for: geometry(64, 64, 5)))  // 5x5: 9 tiles of 2x2 padded to 16
    XCTAssertNil(SelectWinograd.variant(for: geometry(8, 64, 7)))
    XCTAssertNil(SelectWinograd.variant(for: geometry(3, 64, 224)))
    XCTAssertNil(SelectWinograd.variant(for: geometry(64, 64, 56, stride: 2)))
    XCTAssertNil(SelectWinograd.variant(for: geometry(64, 64, 56, groups: 2)))

    let g = TestGraph("winograd", seed: 9)
    let x = g.input("x", ["N", 16, 15, 17])
    let a = g.conv("a", x, 16, 20, k: 3, pad: 1)  // 15x17 output: Winograd
    let b = g.conv("b", g.node("Relu", "relu", [a]), 20, 16, k: 3, pad: 2)  // 17x19: Winograd, pad 2
    let c = g.conv("c", b, 16, 16, k: 3)  // 15x17 from 17x19: Winograd, no padding
    g.output(g.node("Add", "add", [c, x]))
    try assertCompiledMatchesReference(g.model())
    let listing = try Pipeline.compile(g.model()).plan.steps.map { PlanDescription.summary($0.kernel) }
    XCTAssertEqual(listing.filter { $0.contains(" winograd") }.count, 3, "\(listing)")
    XCTAssertEqual(listing.filter { $0.contains(" winograd 2x2") }.count, 0, "\(listing)")

    // Small maps: 2x2 tiles (8x9, then 6x7 unpadded), and a 4x5 output left to the GEMM.
    let s = TestGraph("winograd-small", seed: 10)
    let y = s.input("y", ["N", 16, 8, 9])
    let d = s.conv("d", y, 16, 24, k: 3, pad: 1)
    let e = s.conv("e", s.node("Relu", "relu2", [d]), 24, 16, k: 3)
    let f = s.conv("f", e, 16, 16, k: 3)
    s.output(f)
    try assertCompiledMatchesReference(s.model())
    let small = try Pipeline.compile(s.model()).plan.steps.map { PlanDescription.summary($0.kernel) }
    XCTAssertEqual(small.filter { $0.contains(" winograd 2x2") }.count, 2, "\(small)")
    XCTAssertEqual(small.filter { $0.contains(" packed") }.count, 1, "\(small)")
  }

  /// A static model whose Reshape gives a Winograd conv more items than the batch: the session's
  /// workspace is sized for the conv's items (it was sized for the batch, and the conv's blocks,
  /// which grow with its items, ran past its end; ASan reports that in CI's sanitizer suite).
  func testWinogradConvWithMoreItemsThanTheBatch() throws {
    let g = TestGraph("winograd-items", seed: 11)
    let x = g.input("x", [1, 64, 14, 14])
    let pairs = g.node("Reshape", "pairs", [x, g.ints("pairs_shape", [2, 32, 14, 14])])
    g.output(g.conv("c", pairs, 32, 32, k: 3, pad: 1))
    let model = g.model()
    let compiled = try Pipeline.compile(model)
    let listing = compiled.plan.steps.map { PlanDescription.summary($0.kernel) }
    XCTAssertEqual(listing.filter { $0.contains(" winograd") }.count, 1, "\(listing)")
    let conv = try XCTUnwrap(compiled.plan.steps.first { if case .conv = $0.kernel { true } else { false } })
    XCTAssertEqual(conv.output.itemCount(batch: 1), 2)
    let inputs = Compile.randomInputs(model, batch: 1, seed: 5)
    let expected = try ReferenceInterpreter.run(model, inputs: inputs)
    for threads in [1, 2] {
      assertClose(try Compile.run(compiled, inputs, threads: threads), expected, "\(threads) threads")
    }
  }

  /// The compile report counts convs by algorithm and says why a conv is not Winograd.
  func testReportNamesEachConvsAlgorithmAndWhy() throws {
    func geometry(_ c: Int, _ m: Int, _ hw: Int, k: Int = 3, stride: Int = 1, pad: Int = 1, groups: Int = 1) -> Conv2DGeometry {
      Conv2DGeometry(
        inChannels: c, inHeight: hw, inWidth: hw, outChannels: m, kernelHeight: k, kernelWidth: k,
        strideHeight: stride, strideWidth: stride, padTop: pad, padLeft: pad, padBottom: pad, padRight: pad, groups: groups)
    }
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 56), .winograd4x4), "Winograd F(4x4,3x3)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(512, 512, 7), .winograd2x2), "Winograd F(2x2,3x3)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 56, groups: 64), .oihw), "depthwise, a plane at a time")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 14, groups: 64), .oihw), "depthwise, 16 channels at a time")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 28, groups: 64), .oihw), "depthwise, 16 channels at a time")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 29, groups: 64), .oihw), "depthwise, a plane at a time")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 112, stride: 2, groups: 64), .oihw), "depthwise, 16 channels at a time")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 128, 56, k: 1, pad: 0), .gemmPanels), "GEMM on the input (1x1)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 128, 56, k: 1, stride: 2, pad: 0), .gemmPanels), "im2col + GEMM (1x1, stride 2)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(3, 64, 224, k: 7, stride: 2, pad: 3), .gemmPanels), "im2col + GEMM (7x7 window)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 128, 56, stride: 2), .gemmPanels), "im2col + GEMM (stride 2)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 56, groups: 2), .gemmPanels), "im2col + GEMM (2 groups)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(8, 64, 56), .gemmPanels), "im2col + GEMM (under 16 channels)")
    XCTAssertEqual(SelectWinograd.algorithm(geometry(64, 64, 5), .gemmPanels), "im2col + GEMM (output under 6x6)")

    let g = TestGraph("algorithms", seed: 11)
    let x = g.input("x", ["N", 16, 14, 14])
    let a = g.conv("a", x, 16, 16, k: 3, pad: 1)  // 14x14: F(4x4)
    let b = g.conv("b", a, 16, 16, k: 3, pad: 1, ["strides": .ints([2, 2])])  // 7x7, stride 2
    let c = g.conv("c", b, 16, 16, k: 3, pad: 1)  // 7x7: F(2x2)
    g.output(g.conv("d", c, 16, 8, k: 1, pad: 0))
    let report = try Pipeline.compile(g.model()).report
    XCTAssertEqual(report.convAlgorithms, [
      "Winograd F(4x4,3x3)": 1, "im2col + GEMM (stride 2)": 1, "Winograd F(2x2,3x3)": 1, "GEMM on the input (1x1)": 1,
    ])
    // `graphc compile --no-winograd`: both become im2col + GEMM, and the report says why.
    let direct = try Pipeline.compile(g.model(), options: .init(winograd: false))
    XCTAssertEqual(direct.report.convAlgorithms, [
      "im2col + GEMM (Winograd turned off)": 2, "im2col + GEMM (stride 2)": 1, "GEMM on the input (1x1)": 1,
    ])
    XCTAssertFalse(direct.plan.steps.contains { PlanDescription.summary($0.kernel).contains("winograd") })
    let inputs = Compile.randomInputs(g.model(), batch: 2, seed: 3)
    let expected = try ReferenceInterpreter.run(g.model(), inputs: inputs)["d"]!.values
    let y = try Compile.run(direct, inputs, threads: 2)["d"]!.values
    XCTAssertLessThanOrEqual(zip(y, expected).map { abs($0 - $1) }.max()!, 1e-5 * expected.map(abs).max()!)
  }

  /// A Winograd conv with few tiles per item (16 at 14x14) gives an item the same bits alone as
  /// in a batch, close to the reference.
  func testWinogradConvGivesAnItemTheSameBitsAtAnyBatch() throws {
    let g = TestGraph("few-tiles", seed: 11)
    let x = g.input("x", ["N", 24, 14, 14])
    g.output(g.node("Relu", "relu", [g.conv("c", x, 24, 32, k: 3, pad: 1)]))
    let model = g.model()
    let compiled = try Pipeline.compile(model)
    let runtime = try CompiledModel(plan: compiled.plan, weights: compiled.weights)
    let batch = Compile.randomInputs(model, batch: 2, seed: 5)["x"]!
    let first = try FloatTensor(shape: [1, 24, 14, 14], values: Array(batch.values.prefix(24 * 14 * 14)))
    XCTAssertTrue(PlanDescription.summary(compiled.plan.steps[0].kernel).contains("winograd"))
    let session = try runtime.makeSession(threads: 2)
    let together = try session.run(["x": batch])["relu"]!.values
    let alone = try session.run(["x": first])["relu"]!
    XCTAssertEqual(alone.values.map(\.bitPattern), together.prefix(alone.values.count).map(\.bitPattern), "alone vs in a batch")
    assertClose(["relu": alone], try ReferenceInterpreter.run(model, inputs: ["x": first]), "Winograd at batch 1")
  }
}
