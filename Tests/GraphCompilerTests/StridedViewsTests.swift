import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// The dynamo exporter's `as_strided`: a Gather from flattened features with indices computed from
/// the batch (`Range(0, N) * C`, broadcast-added to each item's offsets).
final class StridedViewsTests: XCTestCase {
  static func pooledHead(offsets: [Int]) -> Model {
    let g = TestGraph("strided_head")
    let x = g.input("x", ["N", 4, 2, 2])
    let pooled = g.node("ReduceMean", "pooled", [g.node("Relu", "relu", [x])], ["axes": .ints([-1, -2]), "keepdims": .int(1)])
    let flat = g.node("Reshape", "flat", [pooled, g.ints("minus_one", [-1])])
    let n = g.node("Squeeze", "n", [g.node("Shape", "shape", [x], ["start": .int(0), "end": .int(1)])])
    let items = g.node("Range", "items", [
      g.builder.constant("start", Tensor(int64s: [0], dims: [])), n, g.builder.constant("delta", Tensor(int64s: [1], dims: [])),
    ])
    let starts = g.node("Mul", "starts", [items, g.builder.constant("stride", Tensor(int64s: [4], dims: []))])
    let lifted = g.node("Unsqueeze", "lifted", [starts, g.ints("axes", [1, 2, 3])])
    let indices = g.node("Add", "indices", [lifted, g.ints("offsets", offsets, dims: [1, 4, 1, 1])])
    let gathered = g.node("Gather", "gathered", [flat, indices], ["axis": .int(0)])
    g.output(g.node("Gemm", "head", [g.node("Reshape", "rows", [gathered, g.ints("rows_shape", [-1, 4])]), g.weight("w", [4, 3])]))
    return g.model(opset: 15)
  }

  func testGatherCountingInOrderIsAReshape() throws {
    let model = Self.pooledHead(offsets: [0, 1, 2, 3])
    let compiled = try Pipeline.compile(model)
    let ops = Compile.ops(compiled.graph)
    XCTAssertFalse(ops.contains("Gather") || ops.contains("Range") || ops.contains("Shape"), "\(ops)")
    XCTAssertEqual(compiled.shapes["gathered"], ["N", 4, 1, 1])
    try assertCompiledMatchesReference(model)
  }

  /// Offsets in another order gather a permutation: not a view, so the Gather stays (and its
  /// flattened features, `4*N`, are refused by lowering, by name).
  func testGatherOutOfOrderStays() throws {
    let model = Self.pooledHead(offsets: [1, 0, 2, 3])
    let context = try Compile.context(model, [ConstantFolding(), InferShapes(), StridedViews()])
    XCTAssertTrue(Compile.ops(context.graph).contains("Gather"))
    let message = ShapeTest.error { try Pipeline.compile(model) }
    XCTAssertTrue(message.contains("not its leading dimension alone"), message)
  }
}
