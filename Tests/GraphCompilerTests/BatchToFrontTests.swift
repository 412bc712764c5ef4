import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// Values whose batch is not their outermost factor (`nn.MultiheadAttention`'s `[L, N, E]`, its heads
/// `[L, N*h, d]`, its rows `[L*N, E]`) are stored batch first, the nodes around them adjusted.
final class BatchToFrontTests: XCTestCase {
  /// Self-attention as TorchScript exports `nn.MultiheadAttention` (sequence first): 5 tokens of 8
  /// features, 2 heads of 4; the head targets come from `Shape(x)[0]`.
  static func sequenceFirstAttention() -> Model {
    let g = TestGraph("sequence_first_attention")
    let x = g.input("x", ["N", 5, 8])
    let batch = g.node("Gather", "batch", [g.node("Shape", "shape", [x]), g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    func times(_ name: String, _ k: Int) -> String {
      g.node("Unsqueeze", name, [g.node("Mul", name + "_mul", [batch, g.builder.constant(name + "_k", Tensor(int64s: [Int64(k)], dims: []))]), g.ints(name + "_axes", [0])])
    }
    let heads = g.node("Concat", "heads_shape", [g.ints("five", [5]), times("n2", 2), g.ints("four", [4])], ["axis": .int(0)])
    let sequenceFirst = g.node("Transpose", "sequence_first", [x], ["perm": .ints([1, 0, 2])])
    let normed = g.node("LayerNormalization", "norm", [sequenceFirst, g.weight("gamma", [8], 0.5, 1.5), g.weight("beta", [8])], ["axis": .int(-1)])
    let qkv = g.node("Add", "qkv", [g.node("MatMul", "in_proj", [normed, g.weight("w_in", [8, 24])]), g.weight("b_in", [24])])
    func part(_ name: String, _ i: Int) -> String {
      let cut = g.node("Slice", name + "_cut", [qkv, g.ints(name + "_starts", [8 * i]), g.ints(name + "_ends", [8 * i + 8]), g.ints(name + "_axes2", [-1])])
      let split = g.node("Reshape", name + "_heads", [cut, heads])
      return g.node("Transpose", name, [split], ["perm": .ints([1, 0, 2])])
    }
    let q = g.node("Mul", "q_scaled", [part("q", 0), g.scalar("scale", 0.5)])
    let kT = g.node("Transpose", "kT", [part("k", 1)], ["perm": .ints([0, 2, 1])])
    let attention = g.node("Softmax", "softmax", [g.node("MatMul", "qk", [q, kT])], ["axis": .int(-1)])
    let mixed = g.node("Transpose", "mixed", [g.node("MatMul", "av", [attention, part("v", 2)])], ["perm": .ints([1, 0, 2])])
    let rows = g.node("Reshape", "rows", [mixed, g.node("Concat", "rows_shape", [times("n5", 5), g.ints("eight", [8])], ["axis": .int(0)])])
    let projected = g.node("Gemm", "out_proj", [rows, g.weight("w_out", [8, 8]), g.weight("b_out", [8])], ["transB": .int(1)])
    let unrows = g.node("Reshape", "unrows", [projected, g.node("Concat", "unrows_shape", [g.ints("five2", [5]), g.node("Unsqueeze", "n1", [batch, g.ints("n1_axes", [0])]), g.ints("eight2", [8])], ["axis": .int(0)])])
    let offset = g.node("Add", "offset", [unrows, g.weight("bias3", [5, 1, 8])])
    let back = g.node("Transpose", "batch_first", [offset], ["perm": .ints([1, 0, 2])])
    g.output(g.node("Add", "residual", [back, x]))
    return g.model(opset: 17)  // LayerNormalization
  }

  func testAttentionRunsBatchFirst() throws {
    let compiled = try Pipeline.compile(Self.sequenceFirstAttention())
    // Every value leads with the batch alone; each item keeps the order of the model's tensor.
    XCTAssertEqual(compiled.shapes["sequence_first"], ["N", 5, 8])
    XCTAssertEqual(compiled.shapes["q_heads"], ["N", 5, 2, 4])
    XCTAssertEqual(compiled.shapes["q"], ["N", 2, 5, 4])
    XCTAssertEqual(compiled.shapes["rows"], ["N", 5, 8])
    XCTAssertEqual(compiled.shapes["offset"], ["N", 5, 8])
    // The transposes that only moved the batch are views; the heads' transposes keep their other axes' order.
    let transposes = Dictionary(uniqueKeysWithValues: compiled.graph.nodes.filter { $0.opType == "Transpose" }.map { ($0.name, try? $0.ints("perm")) })
    XCTAssertNil(transposes["sequence_first"] ?? nil)
    XCTAssertNil(transposes["batch_first"] ?? nil)
    XCTAssertEqual(transposes["q"], [0, 2, 1, 3])
    XCTAssertEqual(transposes["mixed"], [0, 2, 1, 3])
    XCTAssertEqual(compiled.graph.nodes.first { $0.name == "q_cut" }.flatMap { $0.input(3) }.flatMap { compiled.graph.initializers[$0]?.int64s }, [2])
    try assertCompiledMatchesReference(Self.sequenceFirstAttention())
  }

  /// A reduction over the sequence axis of a sequence-first value is not adjusted: nothing changes,
  /// and lowering names the value.
  func testUnadjustableNodeIsRefusedByName() throws {
    let g = TestGraph("sequence_sum")
    let x = g.input("x", ["N", 5, 8])
    let sequenceFirst = g.node("Transpose", "sequence_first", [x], ["perm": .ints([1, 0, 2])])
    g.output(g.node("ReduceSum", "sum", [g.node("Relu", "relu", [sequenceFirst]), g.ints("axes", [0])], ["keepdims": .int(0)]))
    let message = ShapeTest.error { try Pipeline.compile(g.model()) }
    XCTAssertTrue(message.contains("the batch N is not its leading dimension alone"), message)
    XCTAssertTrue(message.contains("sequence_first"), message)
  }
}
