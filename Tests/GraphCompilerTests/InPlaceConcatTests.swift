import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

final class InPlaceConcatTests: XCTestCase {
  /// The four inception branches write straight into their channel slices: nothing is copied.
  func testInceptionBranchesWriteIntoTheirSlices() throws {
    let out = try Pipeline.compile(TestGraphs.inception())
    XCTAssertEqual(out.report.concatInPlace, 4)
    XCTAssertEqual(out.report.copyBytes, 0)
    XCTAssertFalse(out.plan.steps.contains { $0.kernel == .copy })

    let head = try XCTUnwrap(out.plan.steps.first { $0.name == "head" })
    let concat = head.inputs[0]
    XCTAssertEqual(concat.dims, [15, 8, 8])
    XCTAssertEqual(concat.inner, 0)
    XCTAssertEqual(concat.itemStride, 15 * 64)
    let plane = 64
    for (branch, firstChannel, channels) in [("b1", 0, 4), ("b2", 4, 5), ("b3", 9, 3), ("b4", 12, 3)] {
      let step = try XCTUnwrap(out.plan.steps.first { $0.name == branch }, branch)
      XCTAssertEqual(step.output.base, concat.base, branch)
      XCTAssertEqual(step.output.itemStride, concat.itemStride, branch)
      XCTAssertEqual(step.output.inner, firstChannel * plane, branch)
      XCTAssertEqual(step.output.dims, [channels, 8, 8], branch)
    }
  }

  /// A graph input cannot be a slice of the concat: it is copied, once per item (and per batch when fixed).
  func testConcatOfAGraphInputCopiesIt() throws {
    for (batch, bytes) in [(nil, 3 * 16 * 4), (2, 2 * 3 * 16 * 4)] as [(Int?, Int)] {
      let out = try Pipeline.compile(TestGraphs.concatOfInput(), options: Pipeline.Options(batch: batch))
      XCTAssertEqual(out.report.concatInPlace, 1, "the conv writes in place")
      XCTAssertEqual(out.report.copyBytes, bytes)
      let copies = out.plan.steps.filter { $0.kernel == .copy }
      XCTAssertEqual(copies.count, 1)
      XCTAssertEqual(copies.first?.inputs, [out.plan.inputs[0].view])
      XCTAssertEqual(copies.first?.output.inner, 0)
    }
  }

  /// A value read by two concats goes in place into the first and is copied into the second.
  func testValueInTwoConcatsIsCopiedIntoTheSecond() throws {
    let g = TestGraph("two_concats", seed: 31)
    let x = g.input("x", ["N", 2, 4, 4])
    let a = g.conv("a", x, 2, 3, k: 1)
    let b = g.conv("b", x, 2, 2, k: 1)
    g.output(g.node("Concat", "cat1", [a, b], ["axis": .int(1)]))
    g.output(g.node("Concat", "cat2", [b, a], ["axis": .int(1)]))
    let model = g.model()
    let out = try Pipeline.compile(model)
    XCTAssertEqual(out.report.concatInPlace, 2)
    XCTAssertEqual(out.report.copyBytes, (3 + 2) * 16 * 4)
    try assertCompiledMatchesReference(model)
  }
}

final class InPlaceConcatKernelsTests: XCTestCase {
  /// Pools, unfused activations and two-operand adds also write into concat slices.
  func testEveryKernelKindWritesItsSlice() throws {
    let g = TestGraph("slices", seed: 51)
    let x = g.input("x", ["N", 3, 6, 6])
    let c = g.conv("conv", x, 3, 4, k: 3, pad: 1)
    let pool = g.node("MaxPool", "pool", [c], ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])])
    let avg = g.node("AveragePool", "avg", [x], ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])])
    let relu = g.node("Relu", "relu", [avg])
    let sum = g.node("Add", "add", [relu, x])
    let cat = g.node("Concat", "concat", [pool, relu, sum, c], ["axis": .int(1)])
    g.output(g.conv("head", cat, 14, 2, k: 1))
    let model = g.model()
    let out = try Pipeline.compile(model)
    XCTAssertEqual(out.report.concatInPlace, 4)
    XCTAssertEqual(out.report.copyBytes, 0)
    try assertCompiledMatchesReference(model)
  }
}
