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

  func testWideConcatSortsAndCompiles() throws {
    let g = TestGraph("wide")
    let x = g.input("x", ["N", 1, 2, 2])
    let parts = (0..<5_000).map { g.node("Relu", "r\($0)", [x]) }
    g.output(g.node("Concat", "concat", parts.reversed(), ["axis": .int(1)]))
    let out = try Pipeline.compile(g.model())
    XCTAssertEqual(out.report.concatInPlace, 5_000)
  }
}
