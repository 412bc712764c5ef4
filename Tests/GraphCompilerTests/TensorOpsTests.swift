import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// MatMul of run-time tensors, Concat off the channels, Gemm with transA and a matrix C, Gather
/// of run-time data: which steps they lower to, and the compiled plan against the reference
/// interpreter at batch 1, 3 and a fixed 2 (on 1 and 2 threads).
final class TensorOpsTests: XCTestCase {
  func kernels(_ model: Model) throws -> [Kernel] { try Pipeline.compile(model).plan.steps.map(\.kernel) }

  /// Attention's two products over `[N, heads, T, d]` values, a constant batched right operand,
  /// a value without the batch every item reads, and a constant left operand.
  func testBatchedMatMulMatchesReference() throws {
    let g = TestGraph("matmul_batched", seed: 3)
    let q = g.input("q", ["N", 2, 5, 4])
    let k = g.input("k", ["N", 2, 4, 5])
    let scores = g.node("MatMul", "scores", [q, k])
    let values = g.node("MatMul", "values", [scores, g.node("Transpose", "kt", [k], ["perm": .ints([0, 1, 3, 2])])])
    let heads = g.node("MatMul", "heads", [values, g.weight("w", [2, 4, 3])])
    let shared = g.node("Relu", "shared", [g.input("s", [1, 3, 6])])
    g.output(g.node("MatMul", "mixed", [g.node("Reshape", "flat", [heads, g.ints("shape", [0, 10, 3])]), shared]))
    g.output(g.node("MatMul", "left", [g.weight("l", [3, 5]), scores]))
    g.output(g.node("MatMul", "vector", [q, g.weight("v", [4])]))
    // The same value without the batch, its leading 1 not lined up with the batch this time.
    g.output(g.node("MatMul", "unlined", [heads, shared]))
    let model = g.model()
    let matmuls = try kernels(model).compactMap { kernel -> MatMulStep? in if case .matmul(let m) = kernel { m } else { nil } }
    XCTAssertEqual(matmuls.map(\.leftDims), [[2, 5, 4], [2, 5, 5], [2, 5, 4], [10, 3], [3, 5], [2, 5, 4], [2, 5, 3]])
    XCTAssertEqual(matmuls.map(\.rightDims), [[2, 4, 5], [2, 5, 4], [2, 4, 3], [3, 6], [2, 5, 5], [4], [1, 3, 6]])
    XCTAssertEqual(matmuls.map { $0.constant != nil }, [false, false, true, false, true, true, false])
    XCTAssertEqual(matmuls.map(\.constantIsLeft), [false, false, false, false, true, false, false])
    try assertCompiledMatchesReference(model)
  }

  /// Concat on per-item axes after the channels (with a constant part in a fixed-shape graph);
  /// the channel concat keeps its in-place copies.
  func testConcatAlongAnyAxis() throws {
    let g = TestGraph("concat_axes", seed: 4)
    let x = g.input("x", ["N", 2, 3, 4])
    let y = g.node("Relu", "relu_y", [g.input("y", ["N", 2, 3, 1])])
    g.output(g.node("Concat", "last", [x, y, x], ["axis": .int(-1)]))
    g.output(g.node("Concat", "rows", [x, x], ["axis": .int(2)]))
    g.output(g.node("Concat", "channels", [x, g.node("Neg", "nx", [x])], ["axis": .int(1)]))
    let model = g.model()
    let steps = try kernels(model)
    XCTAssertEqual(steps.filter { $0 == .concat(axis: 2) }.count, 1, "\(steps)")
    XCTAssertEqual(steps.filter { $0 == .concat(axis: 1) }.count, 1, "\(steps)")
    XCTAssertFalse(steps.contains(.concat(axis: 0)), "the channel concat stays in place: \(steps)")
    try assertCompiledMatchesReference(model)

    let f = TestGraph("concat_fixed", seed: 5)
    let a = f.input("a", [2, 3])
    f.output(f.node("Concat", "rows", [a, f.weight("c", [1, 3]), a], ["axis": .int(0)]))
    f.output(f.node("Concat", "cols", [f.weight("d", [2, 2]), a], ["axis": .int(1)]))
    try assertFixedCompiledMatchesReference(f.model())
  }

  /// Gather of run-time data with constant indices on every axis but the batch (negative
  /// indices, a scalar index that drops the axis, 2-D indices), and on axis 0 of a fixed value.
  func testGatherOfRunTimeData() throws {
    let g = TestGraph("gather_runtime", seed: 6)
    let x = g.input("x", ["N", 5, 4])
    g.output(g.node("Gather", "rows", [x, g.ints("i", [3, -1, 0], dims: [3])], ["axis": .int(1)]))
    g.output(g.node("Gather", "last", [x, g.ints("j", [-2], dims: [])], ["axis": .int(-1)]))
    g.output(g.node("Gather", "grid", [x, g.ints("k", [1, 1, 0, 2], dims: [2, 2])], ["axis": .int(2)]))
    try assertCompiledMatchesReference(g.model())

    let f = TestGraph("gather_fixed", seed: 7)
    let d = f.node("Relu", "relu_d", [f.input("d", [5, 4])])
    f.output(f.node("Gather", "picked", [d, f.ints("i", [0, 4, -3], dims: [3])]))
    try assertFixedCompiledMatchesReference(f.model())
  }

  /// Gemm with transA, transB, alpha/beta, and a C of the output's shape, a column, or a row.
  func testGemmForms() throws {
    for (i, cDims) in [[3, 4], [3, 1], [1, 4], [4], [1]].enumerated() {
      let g = TestGraph("gemm_\(i)", seed: UInt64(10 + i))
      let a = g.input("a", [5, 3])
      g.output(g.node("Gemm", "gemm", [a, g.weight("b", [4, 5]), g.weight("c", cDims)],
                      ["transA": .int(1), "transB": .int(1), "alpha": .float(0.5), "beta": .float(2)]))
      let plain = g.input("p", [3, 5])
      g.output(g.node("Gemm", "plain", [plain, g.weight("b2", [5, 4]), g.weight("c2", cDims)]))
      let model = g.model()
      // transA transposes A first; a C with rows is added by a binary step after the product.
      let steps = try kernels(model)
      XCTAssertTrue(steps.contains(.transpose(perm: [1, 0])), "\(cDims): \(steps)")
      XCTAssertEqual(steps.filter { if case .binary = $0 { true } else { false } }.count, cDims.first == 3 ? 2 : 0, "\(cDims): \(steps)")
      try assertFixedCompiledMatchesReference(model)
    }
  }
}

/// ReduceMean across the batch of a batched model: a batch-mean step into a value without the
/// batch, after a per-item mean over the other axes.
final class BatchMeanTests: XCTestCase {
  func testMeanAcrossTheBatch() throws {
    let g = TestGraph("batch_mean", seed: 12)
    let x = g.input("x", ["N", 3, 4, 5])
    g.output(g.node("ReduceMean", "items", [x], ["axes": .ints([0])]))
    g.output(g.node("ReduceMean", "items_rows", [x], ["axes": .ints([0, 2]), "keepdims": .int(0)]))
    g.output(g.node("ReduceMean", "all", [x], ["keepdims": .int(0)]))
    g.output(g.node("ReduceMean", "items_channels", [x], ["axes": .ints([1, 0, -1])]))
    let model = g.model()
    let steps = try Pipeline.compile(model).plan.steps
    let means = steps.filter { $0.kernel == .batchMean }
    XCTAssertEqual(means.count, 4, "\(steps.map(\.kernel))")
    XCTAssertTrue(means.allSatisfy { $0.inputs[0].isBatched && !$0.output.isBatched })
    XCTAssertEqual(means.map(\.output.items), [1, 3, 1, 1])
    try assertCompiledMatchesReference(model)
  }
}
