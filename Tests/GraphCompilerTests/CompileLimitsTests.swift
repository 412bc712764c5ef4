import GraphIR
import GraphPlan
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// What a model makes the compiler compute, and a plan makes a session allocate, is held to ``Limits``.
final class CompileLimitsTests: XCTestCase {
  /// Two ConstantOfShape of 40,000 floats: each fits the tensor limit, together not the folding budget.
  func testFoldedConstantsAreLimitedInTotal() throws {
    let g = TestGraph("folds")
    var x = g.input("x", ["N", 40_000])
    for i in 0..<2 {
      x = g.node("Add", "add\(i)", [x, g.node("ConstantOfShape", "fill\(i)", [g.ints("dims\(i)", [40_000])])])
    }
    g.output(x)
    let limits = Limits(memory: 1 << 20)  // folding budget 256 KiB, tensors 512 KiB
    XCTAssertThrowsError(try Pipeline.compile(g.model(), options: .init(limits: limits))) { error in
      XCTAssertEqual(
        "\(error)",
        "node 'fill1' (ConstantOfShape): the constants folded so far, with its output [40000] of float32, needs 320000 bytes, over the max folded-constant bytes limit of 262144 bytes (raise it with --max-memory SIZE, or set Limits in code)")
    }
    XCTAssertNoThrow(try Pipeline.compile(g.model(), options: .init(limits: Limits(memory: 2 << 20))))
  }

  func testOneHugeFoldIsLimitedBeforeItIsComputed() throws {
    let g = TestGraph("fold")
    let x = g.input("x", ["N", 2])
    let shape = g.node("Shape", "s", [g.node("ConstantOfShape", "bomb", [g.ints("dims", [1_000_000_000, 4])])])
    g.output(g.node("Add", "add", [x, g.node("Cast", "c", [shape], ["to": .int(1)])]))
    XCTAssertThrowsError(try Pipeline.compile(g.model(), options: .init(limits: Limits(memory: 8 << 30)))) { error in
      XCTAssertTrue("\(error)".hasPrefix(
        "node 'bomb' (ConstantOfShape): its output [1000000000, 4] of float32, too large to compute at compile time, needs 16000000000 bytes, over the max tensor bytes limit of 4294967296 bytes"), "\(error)")
    }
  }

  func testNodeCountIsLimited() throws {
    let g = TestGraph("nodes")
    g.output(g.node("Relu", "b", [g.node("Relu", "a", [g.input("x", ["N", 4])])]))
    var limits = Limits.machine
    limits.maxNodes = 1
    XCTAssertThrowsError(try Pipeline.compile(g.model(), options: .init(limits: limits))) {
      XCTAssertTrue("\($0)".contains("the model's node count is 2, over the max nodes limit of 1"), "\($0)")
    }
  }

  /// A 1x1 conv with pads of 50,000 compiles (nothing is allocated) but its 100001x100001 output
  /// (40 GB) is refused when the session is created, naming the arena and the limit.
  func testHugePadsAreRefusedAtSessionCreation() throws {
    let g = TestGraph("pads")
    g.output(g.conv("conv", g.input("x", [1, 1, 1, 1]), 1, 1, k: 1, pad: 50_000))
    let out = try Pipeline.compile(g.model(), options: .init(batch: 1))
    let limits = Limits(memory: 16 << 30)
    let model = try CompiledModel(plan: out.plan, weights: out.weights, limits: limits)
    XCTAssertThrowsError(try model.makeSession()) { error in
      guard case .limit(let e)? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertTrue(e.what.hasPrefix("the arena for batch 1 ("), e.message)
      XCTAssertEqual(e.limit, "max arena + workspace bytes")
      XCTAssertEqual(e.allowed, 8 << 30)
      XCTAssertGreaterThan(e.bytes ?? 0, 40_000_000_000, e.message)
    }
  }
}
