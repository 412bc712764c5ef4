import GraphIR
import GraphPlan
import TestSupport
import XCTest

@testable import GraphCompiler

/// Graphs far larger than the seed networks compile: no pass may be quadratic in the
/// node count (a 100k-node chain took a minute in plan-memory, a 100k-input Concat 21 s in
/// the topological sort). Speed itself is measured in benchmarks; these only must finish.
final class LargeGraphTests: XCTestCase {
  func testLongChainCompilesAndRuns() throws {
    let g = TestGraph("chain")
    var x = g.input("x", ["N", 4])
    for i in 0..<20_000 { x = g.node(i % 2 == 0 ? "Relu" : "Sigmoid", "n\(i)", [x]) }
    g.output(x)
    let out = try Pipeline.compile(g.model())
    XCTAssertEqual(out.plan.steps.count, 20_000)
    // Element-wise steps reuse their dying input: two buffers suffice for the whole chain.
    XCTAssertLessThanOrEqual(out.plan.arenaFloatsPerItem, 2 * 16)
    let result = try Compile.run(out, ["x": try FloatTensor(shape: [1, 4], values: [-1, 0, 1, 2])], threads: 1)
    XCTAssertEqual(result[x]?.values.count, 4)
  }

  /// Every rewrite pass on a long chain: Identity (remove-noops), per-channel Add and
  /// BatchNorm (fold-batchnorm), Conv + residual Add + Relu (fuse) and a Mul it cannot fold,
  /// 2,000 times over; the plan matches the reference interpreter. (Scans per node made
  /// these passes quadratic: 20k constant Adds took 14 s to compile.)
  func testLongChainOfRewritesCompilesAndMatches() throws {
    let g = TestGraph("rewrites")
    var x = g.input("x", ["N", 2, 3, 3])
    let shift = g.weight("shift", [2, 1, 1], -0.1, 0.1), gate = g.weight("gate", [1, 2, 3, 3], 0.9, 1.1)
    for i in 0..<2_000 {
      let c = g.conv("c\(i)", g.node("Identity", "id\(i)", [x]), 2, 2, k: 1)
      let folded = g.node("Add", "shift\(i)", [g.batchNorm("bn\(i)", c, 2), shift])
      x = g.node("Mul", "gate\(i)", [g.node("Relu", "relu\(i)", [g.node("Add", "res\(i)", [folded, x])]), gate])
    }
    g.output(x)
    let model = g.model()
    let out = try Pipeline.compile(model)
    XCTAssertEqual(out.report.batchnormFolded, 2_000)
    XCTAssertEqual(out.report.affineFolded, 2_000)
    XCTAssertEqual(out.report.convAddRelu, 2_000)
    XCTAssertEqual(out.plan.steps.count, 4_000)  // each conv with all it absorbed, and each Mul
    try assertCompiledMatchesReference(model)
  }

  func testWideConcatSortsAndCompiles() throws {
    let g = TestGraph("wide")
    let x = g.input("x", ["N", 1, 2, 2])
    let parts = (0..<5_000).map { g.node("Relu", "r\($0)", [x]) }
    g.output(g.node("Concat", "concat", parts.reversed(), ["axis": .int(1)]))
    let out = try Pipeline.compile(g.model())
    XCTAssertEqual(out.report.concatInPlace, 5_000)
  }
}
