import GraphIR
import XCTest

@testable import GraphCompiler

final class ConstantFoldingTests: XCTestCase {
  /// With the batch fixed, Shape → Gather → Unsqueeze → Concat folds to the constant [2, -1].
  func testShapeChainFoldsWithAFixedBatch() throws {
    let context = try Compile.context(TestGraphs.shapeChain(), [ConstantFolding()], batch: 2)
    XCTAssertEqual(Compile.ops(context.graph), ["Conv", "Reshape", "Gemm", "Add"])
    let reshape = try XCTUnwrap(context.graph.nodes.first { $0.opType == "Reshape" })
    XCTAssertEqual(context.graph.initializers[reshape.inputs[1]]?.int64s, [2, -1])
  }

  /// With a symbolic batch the Shape of the conv is unknown: the chain stays.
  func testShapeChainStaysWithASymbolicBatch() throws {
    let context = try Compile.context(TestGraphs.shapeChain(), [ConstantFolding()])
    XCTAssertEqual(Compile.ops(context.graph), ["Conv", "Shape", "Gather", "Unsqueeze", "Concat", "Reshape", "Gemm", "Add"])
  }

  /// Mul of two constants becomes one constant holding their product.
  func testArithmeticOnConstantsFolds() throws {
    let model = TestGraphs.shapeChain()
    let context = try Compile.context(model, [ConstantFolding()])
    XCTAssertFalse(context.graph.nodes.contains { $0.name == "const_mul" })
    let (c1, c2) = (model.graph.initializers["c1"]!.floats, model.graph.initializers["c2"]!.floats)
    XCTAssertEqual(context.graph.initializers["const_mul"]?.floats, zip(c1, c2).map { $0 * $1 })
    XCTAssertEqual(context.graph.initializers["const_mul"]?.dims, [5])
  }

  /// CastLike takes input 1's type only: `CastLike(constant, x)` (the dynamo exporter's scalar
  /// constants) folds although `x` is computed at run time, an integer constant cast like a
  /// float becomes floats, and a CastLike of a run-time value to its own type runs as a copy.
  func testCastLikeFoldsAgainstARunTimeValue() throws {
    let g = TestGraph("cast-like")
    let x = g.input("x", ["N", 4])
    let two = g.node("CastLike", "two", [g.ints("two_int", [2]), x])
    let doubled = g.node("Mul", "doubled", [x, two])
    g.output(g.node("CastLike", "same", [doubled, x]))
    let context = try Compile.context(g.model(), [InferShapes(), ConstantFolding()])
    XCTAssertEqual(context.graph.initializers["two"]?.dataType, .float)
    XCTAssertEqual(context.graph.initializers["two"]?.floats, [2])
    XCTAssertFalse(context.graph.nodes.contains { $0.opType == "CastLike" }, "\(Compile.ops(context.graph))")
    try assertCompiledMatchesReference(g.model())
  }

  /// Neg and Abs of integer constants fold exactly and keep their type: the decomposed
  /// LayerNormalization builds its reduced shape from `ConstantOfShape(Neg(axis))`.
  func testNegOfIntegersFoldsToIntegersForShapes() throws {
    let g = TestGraph("neg-shape")
    let x = g.input("x", ["N", 4])
    let axis = g.ints("axis", [-1])
    let count = g.node("Neg", "count", [axis])
    let ones = g.node("ConstantOfShape", "ones", [count], ["value": .tensor(Tensor(int64s: [1], dims: [1]))])
    let prefix = g.node("Slice", "prefix", [g.node("Shape", "shape", [x]), g.ints("zero", [0]), axis])
    let reduced = g.node("Concat", "reduced", [prefix, ones], ["axis": .int(0)])
    let mean = g.node("ReduceMean", "mean", [x], ["axes": .ints([1]), "keepdims": .int(0)])
    g.output(g.node("Reshape", "reshaped", [mean, reduced]))
    let context = try Compile.context(g.model(), [ConstantFolding()])
    XCTAssertEqual(context.graph.initializers["count"]?.dataType, .int64)
    XCTAssertEqual(context.graph.initializers["count"]?.int64s, [1])
    try assertCompiledMatchesReference(g.model())

    let h = TestGraph("neg-overflow")
    let y = h.input("y", ["N", 2])
    let shape = h.node("Abs", "abs", [h.ints("lowest", [Int.min])])
    h.output(h.node("Add", "add", [y, h.node("Cast", "f", [shape], ["to": .int(1)])]))
    XCTAssertThrowsError(try Pipeline.compile(h.model())) { error in
      XCTAssertTrue("\(error)".contains("Abs of -9223372036854775808 does not fit"), "\(error)")
    }
  }

  /// After the whole pipeline nothing of the chain is left, with the batch fixed or not.
  func testNothingOfTheChainIsLeftAfterViewsAndDeadCode() throws {
    for batch in [nil, 2] as [Int?] {
      let out = try Pipeline.compile(TestGraphs.shapeChain(), options: Pipeline.Options(batch: batch))
      // The Add of the folded constant goes into the Gemm's bias (fold-batchnorm).
      XCTAssertEqual(Compile.ops(out.graph), ["Conv", "graphc.View", "Gemm"], "batch \(String(describing: batch))")
      XCTAssertEqual(out.report.affineFolded, 1)
      for name in ["zero", "axes0", "minus_one", "c1", "c2", "shape", "gather", "unsqueeze", "concat"] {
        XCTAssertNil(out.graph.initializers[name], "\(name) should be gone (batch \(String(describing: batch)))")
      }
      XCTAssertEqual(out.graph.nodes[1].inputs, ["conv"], "the view keeps only its data input")
    }
  }
}

/// Folding never allocates without bound.
final class ConstantFoldingBudgetTests: XCTestCase {
  func testHugeConstantOfShapeIsAnError() {
    let g = TestGraph("bomb")
    let x = g.input("x", ["N", 2])
    let big = g.node("ConstantOfShape", "bomb", [g.ints("dims", [1_000_000, 1_000_000])])
    let shape = g.node("Shape", "s", [big])
    g.output(g.node("Add", "add", [x, g.node("Cast", "c", [g.node("ReduceMean", "m", [g.node("Cast", "f", [shape], ["to": .int(1)])], ["keepdims": .int(0)])], ["to": .int(1)])]))
    do {
      _ = try Pipeline.compile(g.model())
      XCTFail("expected an error")
    } catch {
      XCTAssertTrue("\(error)".contains("too large to compute at compile time"), "\(error)")
    }
  }
}
