import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// The compiled plan, run by a ``Session``, equals the ``ReferenceInterpreter`` on the
/// *original* graph within float32 rounding: folded and fused results equal the unfolded
/// graph. Checked for a symbolic batch (run at 1 and 3) and a fixed batch 2, on 1 and
/// 2 threads; the thread counts must agree bit for bit.
final class EndToEndTests: XCTestCase {
  func check(_ make: () -> Model, file: StaticString = #filePath, line: UInt = #line) throws {
    try assertCompiledMatchesReference(make(), file: file, line: line)
  }

  func testShapeChain() throws { try check(TestGraphs.shapeChain) }
  func testConvBatchNorm() throws { try check(TestGraphs.convBatchNorm) }
  func testLonelyBatchNorm() throws { try check(TestGraphs.lonelyBatchNorm) }
  func testConvMulAdd() throws { try check(TestGraphs.convMulAdd) }
  func testGemmBatchNorm() throws { try check(TestGraphs.gemmBatchNorm) }
  func testConvClip() throws { try check(TestGraphs.convClip) }
  func testResidual() throws { try check(TestGraphs.residual) }
  func testGemmRelu() throws { try check(TestGraphs.gemmRelu) }
  func testInception() throws { try check(TestGraphs.inception) }
  func testConcatOfInput() throws { try check(TestGraphs.concatOfInput) }
  func testCeilMaxPool() throws { try check(TestGraphs.ceilMaxPool) }
  func testAveragePoolExcludingPads() throws { try check { TestGraphs.averagePool(countIncludePad: 0) } }
  func testAveragePoolIncludingPads() throws { try check { TestGraphs.averagePool(countIncludePad: 1) } }
  func testGroupedConv() throws { try check(TestGraphs.groupedConv) }
  func testLRNSoftmax() throws { try check(TestGraphs.lrnSoftmax) }
  func testTransposeReduceMean() throws { try check(TestGraphs.transposeReduce) }
  func testMatMulSum() throws { try check(TestGraphs.matmulSum) }

  /// Every test graph is covered above.
  func testEveryGraphHasATest() {
    XCTAssertEqual(TestGraphs.all.count, 17)
  }
}

/// Older opsets: Clip bounds as attributes, Softmax over the flattened tail, Squeeze axes as an attribute.
final class OldOpsetEndToEndTests: XCTestCase {
  func testOpset10Graph() throws {
    let g = TestGraph("opset10", seed: 61)
    let x = g.input("x", ["N", 2, 4, 4])
    let c = g.node("Clip", "clip", [g.conv("conv", x, 2, 3, k: 3, pad: 1)], ["min": .float(0), "max": .float(6)])
    let p = g.node("GlobalAveragePool", "gap", [c])
    let s = g.node("Squeeze", "squeeze", [p], ["axes": .ints([2, 3])])
    g.output(g.node("Softmax", "softmax", [g.dense("fc", s, 3, 4)]))
    let model = g.model(opset: 10)
    let out = try Pipeline.compile(model)
    XCTAssertEqual(out.report.convRelu, 1, "conv + clip(0, 6) attributes")
    try assertCompiledMatchesReference(model)
  }
}
