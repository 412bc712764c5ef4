import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// Values whose leading dim is a multiple of the batch (Swin's windows of every item stacked,
/// `x.view(B * nW, 49, C)`) run as `[N, k, ...]` values; attention's `qkv.permute(2, 0, 3, 1, 4)[i]`
/// becomes a Gather along the original axis.
final class BatchProductsTests: XCTestCase {
  /// Window attention as TorchScript exports Swin's: 4x4 maps cut into four 2x2 windows, the
  /// windows of all items stacked along the batch (`[4*N, 4, 8]`, the target from `Shape(x)[0] * 4`),
  /// qkv by one MatMul, split by permute-and-select, softmax attention with a bias, windows merged back.
  static func windowAttention() -> Model {
    let g = TestGraph("window_attention")
    let x = g.input("x", ["N", 4, 4, 8])
    let batch = g.node("Gather", "batch", [g.node("Shape", "shape", [x]), g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    let windows = g.node("Mul", "windows", [batch, g.builder.constant("four", Tensor(int64s: [4], dims: []))])
    let lead = g.node("Unsqueeze", "lead", [windows, g.ints("axes0", [0])])
    func target(_ name: String, _ rest: [Int]) -> String {
      g.node("Concat", name, [lead, g.ints(name + "_rest", rest)], ["axis": .int(0)])
    }
    let cut = g.node("Reshape", "cut", [x, g.ints("cut_shape", [-1, 2, 2, 2, 2, 8])])
    let grouped = g.node("Transpose", "grouped", [cut], ["perm": .ints([0, 1, 3, 2, 4, 5])])
    let stacked = g.node("Reshape", "stacked", [grouped, target("stacked_shape", [4, 8])])
    let qkv = g.node("MatMul", "qkv", [stacked, g.weight("w_qkv", [8, 24])])
    let heads = g.node("Reshape", "heads", [qkv, target("heads_shape", [4, 3, 2, 4])])
    let permuted = g.node("Transpose", "permuted", [heads], ["perm": .ints([2, 0, 3, 1, 4])])
    let q = g.node("Gather", "q", [permuted, g.builder.constant("i0", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    let k = g.node("Gather", "k", [permuted, g.builder.constant("i1", Tensor(int64s: [1], dims: []))], ["axis": .int(0)])
    let v = g.node("Gather", "v", [permuted, g.builder.constant("i2", Tensor(int64s: [2], dims: []))], ["axis": .int(0)])
    let scaled = g.node("Mul", "scaled", [q, g.scalar("scale", 0.5)])
    let kT = g.node("Transpose", "kT", [k], ["perm": .ints([0, 1, 3, 2])])
    let scores = g.node("Add", "scores", [g.node("MatMul", "qk", [scaled, kT]), g.weight("bias", [2, 4, 4])])
    let attention = g.node("Softmax", "softmax", [scores], ["axis": .int(3)])
    let mixed = g.node("Transpose", "mixed", [g.node("MatMul", "av", [attention, v])], ["perm": .ints([0, 2, 1, 3])])
    let merged = g.node("Reshape", "merged", [mixed, target("merged_shape", [4, 8])])
    let projected = g.node("Add", "projected", [g.node("MatMul", "proj", [merged, g.weight("w_proj", [8, 8])]), g.weight("b_proj", [8])])
    let back = g.node("Reshape", "back", [projected, g.ints("back_shape", [-1, 2, 2, 2, 2, 8])])
    let ungrouped = g.node("Transpose", "ungrouped", [back], ["perm": .ints([0, 1, 3, 2, 4, 5])])
    let restored = g.node("Reshape", "restored", [ungrouped, g.ints("restored_shape", [-1, 4, 4, 8])])
    g.output(g.node("Add", "residual", [restored, x]))
    return g.model()
  }

  func testWindowsLeadWithTheBatch() throws {
    let compiled = try Pipeline.compile(Self.windowAttention())
    XCTAssertEqual(compiled.shapes["stacked"], ["N", 4, 4, 8])
    XCTAssertEqual(compiled.shapes["scores"], ["N", 4, 2, 4, 4])
    XCTAssertEqual(compiled.shapes["restored"], ["N", 4, 4, 8])
    let ops = Compile.ops(compiled.graph)
    XCTAssertFalse(ops.contains("Shape"), "\(ops)")
    // The permute that moved the batch is gone: each of q, k, v is a Gather along the heads' axis.
    let gathers = compiled.graph.nodes.filter { $0.opType == "Gather" }
    XCTAssertEqual(gathers.count, 3)
    XCTAssertEqual(gathers.compactMap { try? $0.int("axis") }, [3, 3, 3])
    XCTAssertEqual(compiled.graph.nodes.first { $0.name == "softmax" }.flatMap { try? $0.int("axis") }, 4)
    try assertCompiledMatchesReference(Self.windowAttention())
  }

  /// A node the pass cannot adjust (a reduction over a multiple of the batch) leaves the graph as it
  /// was, and lowering names the value.
  func testUnadjustableNodeIsRefusedByName() throws {
    let g = TestGraph("window_reduce")
    let x = g.input("x", ["N", 4, 8])
    let stacked = g.node("Reshape", "stacked", [x, g.ints("shape", [-1, 2, 8])])
    _ = stacked
    g.output(g.node("ReduceMean", "mean", [g.node("Relu", "relu", ["stacked"])], ["axes": .ints([1]), "keepdims": .int(1)]))
    let message = ShapeTest.error { try Pipeline.compile(g.model()) }
    XCTAssertTrue(message.contains("the batch N is not its leading dimension alone"), message)
  }
}
