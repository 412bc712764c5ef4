import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// GatherND and ScatterND with constant indices (folded, and lowered to gather and concat steps
/// over values without the batch), and Einsum rewritten into Transpose/Reshape/MatMul/ReduceSum:
/// by hand against the ONNX examples, and compiled against the reference interpreter.
final class GatherScatterEinsumTests: XCTestCase {
  func kernels(_ model: Model) throws -> [Kernel] { try Pipeline.compile(model).plan.steps.map(\.kernel) }

  /// Compiles `model` (fixed shapes) and runs it on `inputs`: the first output's values.
  func run(_ model: Model, _ inputs: [String: ([Int], [Float])]) throws -> [Float] {
    let compiled = try Pipeline.compile(model)
    let feeds = try inputs.mapValues { try FloatTensor(shape: $0.0, values: $0.1) }
    let out = try Compile.run(compiled, feeds, threads: 2)
    return try XCTUnwrap(out[model.graph.outputs[0].name]).values
  }

  func testGatherNDByHand() throws {
    // The ONNX examples: whole elements, then batch_dims 1 picking rows within each batch group.
    let g = TestGraph("gathernd", seed: 1)
    g.output(g.node("GatherND", "g", [g.node("Relu", "r", [g.input("x", [2, 2])]), g.ints("i", [0, 0, 1, 1], dims: [2, 2])]))
    XCTAssertEqual(try run(g.model(), ["x": ([2, 2], [0, 1, 2, 3])]), [0, 3])
    let b = TestGraph("gathernd_batch", seed: 2)
    b.output(b.node("GatherND", "g", [b.input("x", [2, 2, 2]), b.ints("i", [1, 0], dims: [2, 1])], ["batch_dims": .int(1)]))
    let model = b.model()
    XCTAssertEqual(try run(model, ["x": ([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7])]), [2, 3, 4, 5])
    XCTAssertTrue(try kernels(model).contains { if case .gather = $0 { true } else { false } })
    // Negative indices count from the end; constants fold.
    let c = TestGraph("gathernd_fold", seed: 3)
    c.output(c.node("GatherND", "g", [c.builder.constant("d", Tensor(floats: [1, 2, 3, 4, 5, 6], dims: [3, 2])), c.ints("i", [-1, 0], dims: [1, 2])]))
    let folded = try Compile.context(c.model(), [ConstantFolding()])
    XCTAssertEqual(folded.graph.initializers["g"]?.floats, [5])
  }

  func testGatherNDMatchesReference() throws {
    let g = TestGraph("gathernd_ref", seed: 4)
    let x = g.node("Relu", "r", [g.input("x", [3, 4, 5])])
    g.output(g.node("GatherND", "rows", [x, g.ints("i", [2, 1, 0, 3, 2, 1], dims: [3, 2])]))
    g.output(g.node("GatherND", "planes", [x, g.ints("j", [1, 1, 0], dims: [3, 1])]))
    g.output(g.node("GatherND", "batched", [x, g.ints("k", [0, 4, 1, 1, 2, 0], dims: [3, 2])], ["batch_dims": .int(1)]))
    try assertFixedCompiledMatchesReference(g.model())
  }

  func testScatterNDByHand() throws {
    // Rows 1 and 3 replaced by run-time updates; a repeated index keeps the last update.
    let g = TestGraph("scatternd", seed: 5)
    g.output(g.node("ScatterND", "s", [g.input("x", [4, 2]), g.ints("i", [1, 3, 1], dims: [3, 1]), g.input("u", [3, 2])]))
    let model = g.model()
    XCTAssertEqual(
      try run(model, ["x": ([4, 2], [0, 1, 2, 3, 4, 5, 6, 7]), "u": ([3, 2], [10, 11, 12, 13, 14, 15])]), [0, 1, 14, 15, 4, 5, 12, 13])
    let steps = try kernels(model)
    XCTAssertTrue(steps.contains { if case .concat = $0 { true } else { false } }, "\(steps)")
    XCTAssertTrue(steps.contains { if case .gather = $0 { true } else { false } }, "\(steps)")
    // Constant updates into run-time data (the `x[...] = 0` of exports), by element.
    let z = TestGraph("scatternd_zero", seed: 6)
    z.output(z.node("ScatterND", "s", [z.input("x", [2, 3]), z.ints("i", [0, 2, 1, 0], dims: [2, 2]), z.builder.constant("u", Tensor(floats: [-1, -2], dims: [2]))]))
    XCTAssertEqual(try run(z.model(), ["x": ([2, 3], [1, 2, 3, 4, 5, 6])]), [1, 2, -1, -2, 5, 6])
    // Reductions fold (the ONNX add example, in one dim), and run on run-time values.
    let a = TestGraph("scatternd_add", seed: 7)
    a.output(a.node("ScatterND", "s", [a.builder.constant("d", Tensor(floats: [1, 2, 3, 4], dims: [4])), a.ints("i", [1, 1, 3], dims: [3, 1]),
      a.builder.constant("u", Tensor(floats: [10, 20, 30], dims: [3]))], ["reduction": .string("add")]))
    XCTAssertEqual(try Compile.context(a.model(opset: 16), [ConstantFolding()]).graph.initializers["s"]?.floats, [1, 32, 3, 34])
    let r = TestGraph("scatternd_mul", seed: 8)
    r.output(r.node("ScatterND", "s", [r.input("x", [4]), r.ints("i", [1], dims: [1, 1]), r.builder.constant("u", Tensor(floats: [2], dims: [1]))], ["reduction": .string("mul")]))
    XCTAssertEqual(try run(r.model(opset: 16), ["x": ([4], [1, 2, 3, 4])]), [1, 4, 3, 4])
    // Rows hit twice combine in the updates' order: row 1 gets 10 then 30, row 3 gets 20.
    let d = TestGraph("scatternd_add_runtime", seed: 8)
    d.output(d.node("ScatterND", "s", [d.input("x", [4, 2]), d.ints("i", [1, 3, 1], dims: [3, 1]), d.input("u", [3, 2])], ["reduction": .string("add")]))
    XCTAssertEqual(
      try run(d.model(opset: 16), ["x": ([4, 2], [0, 1, 2, 3, 4, 5, 6, 7]), "u": ([3, 2], [10, 11, 20, 21, 30, 31])]),
      [0, 1, 42, 45, 4, 5, 26, 28])
  }

  /// Folding and the run-time steps agree where NaN meets max and min (NaN wins, as NumPy's
  /// `maximum`), and an int64 sum that overflows wraps instead of trapping the compiler.
  func testScatterReductionsFoldLikeTheyRun() throws {
    for op in ["ScatterND", "ScatterElements"] {
      for reduction in ["max", "min"] {
        let update = { (g: TestGraph) in g.builder.constant("u", Tensor(floats: [.nan, 5], dims: [2])) }
        let folded = TestGraph("\(op)_\(reduction)_folded", seed: 16)
        folded.output(folded.node(op, "s", [
          folded.builder.constant("d", Tensor(floats: [1, 2, 3], dims: [3])), folded.ints("i", [1, 2], dims: op == "ScatterND" ? [2, 1] : [2]),
          update(folded),
        ], ["reduction": .string(reduction)]))
        let constant = try XCTUnwrap(try Compile.context(folded.model(opset: 18), [ConstantFolding()]).graph.initializers["s"]?.floats)
        XCTAssertEqual(constant.map(\.isNaN), [false, true, false], "\(op) \(reduction) folded: \(constant)")
        XCTAssertEqual(constant[2], reduction == "max" ? 5 : 3)
        let runTime = TestGraph("\(op)_\(reduction)_run", seed: 17)
        runTime.output(runTime.node(op, "s", [
          runTime.input("x", [3]), runTime.ints("i", [1, 2], dims: op == "ScatterND" ? [2, 1] : [2]), update(runTime),
        ], ["reduction": .string(reduction)]))
        let ran = try run(runTime.model(opset: 18), ["x": ([3], [1, 2, 3])])
        XCTAssertEqual(ran.map(\.isNaN), constant.map(\.isNaN), "\(op) \(reduction) run: \(ran)")
        XCTAssertEqual(ran[2], constant[2])
      }
    }
    let big = TestGraph("scatternd_int_overflow", seed: 18)
    big.output(big.node("ScatterND", "s", [
      big.builder.constant("d", Tensor(dataType: .int64, dims: [2], storage: .integers([Int64.max, 1]))), big.ints("i", [0], dims: [1, 1]),
      big.builder.constant("u", Tensor(dataType: .int64, dims: [1], storage: .integers([1]))),
    ], ["reduction": .string("add")]))
    XCTAssertEqual(try Compile.context(big.model(opset: 16), [ConstantFolding()]).graph.initializers["s"]?.int64s, [Int64.min, 1])
  }

  /// Every reduction of ScatterND and ScatterElements on run-time data and updates, with indices
  /// repeated up to three times (three rounds of combining), against the reference interpreter.
  func testScatterReductionsOnRunTimeValuesMatchReference() throws {
    for reduction in ["add", "mul", "max", "min"] {
      let g = TestGraph("scatternd_\(reduction)", seed: 14)
      let x = g.node("Neg", "n", [g.input("x", [4, 3])])
      g.output(g.node("ScatterND", "s", [x, g.ints("i", [2, 0, 2, 3, 2], dims: [5, 1]), g.input("u", [5, 3])], ["reduction": .string(reduction)]))
      try assertFixedCompiledMatchesReference(g.model(opset: 18))
      let e = TestGraph("scatterelements_\(reduction)", seed: 15)
      e.output(e.node(
        "ScatterElements", "s", [e.input("x", [3, 4]), e.ints("i", [1, 1, 0, 3, 1, 2], dims: [3, 2]), e.input("u", [3, 2])],
        ["axis": .int(1), "reduction": .string(reduction)]))
      try assertFixedCompiledMatchesReference(e.model(opset: 18))
    }
  }

  func testScatterNDMatchesReference() throws {
    let g = TestGraph("scatternd_ref", seed: 9)
    let x = g.node("Relu", "r", [g.input("x", [3, 4, 5])])
    let u = g.node("Neg", "n", [g.input("u", [2, 5])])
    g.output(g.node("ScatterND", "s", [x, g.ints("i", [2, 1, 0, 3], dims: [2, 2]), u]))
    try assertFixedCompiledMatchesReference(g.model())
  }

  func testBadIndicesNameTheNode() throws {
    let g = TestGraph("gathernd_bad", seed: 10)
    g.output(g.node("GatherND", "pick", [g.input("x", [2, 3]), g.ints("i", [0, 3], dims: [1, 2])]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) {
      XCTAssertTrue("\($0)".contains("'pick'") && "\($0)".contains("index 3 is out of range for axis 1 of size 3"), "\($0)")
    }
    let s = TestGraph("scatternd_bad", seed: 11)
    s.output(s.node("ScatterND", "put", [s.input("x", [2, 3]), s.ints("i", [0], dims: [1, 1]), s.input("u", [1, 2])]))
    XCTAssertThrowsError(try Pipeline.compile(s.model())) { XCTAssertTrue("\($0)".contains("'put'") && "\($0)".contains("updates"), "\($0)") }
  }

  func testEinsumByHand() throws {
    let g = TestGraph("einsum", seed: 12)
    g.output(g.node("Einsum", "e", [g.input("a", [2, 3]), g.input("b", [3, 2])], ["equation": .string("ij,jk->ik")]))
    XCTAssertEqual(try run(g.model(), ["a": ([2, 3], [1, 2, 3, 4, 5, 6]), "b": ([3, 2], [1, 0, 0, 1, 1, 1])]), [4, 5, 10, 11])
    let o = TestGraph("outer", seed: 13)
    o.output(o.node("Einsum", "e", [o.input("a", [2]), o.input("b", [3])], ["equation": .string("i,j->ij")]))
    XCTAssertEqual(try run(o.model(), ["a": ([2], [1, 2]), "b": ([3], [1, 10, 100])]), [1, 10, 100, 2, 20, 200])
    // An ellipsis stands for the leading axes, lined up from the right: b has none, so it is
    // shared by both of a's [1, 2] rows.
    let e = TestGraph("ellipsis", seed: 17)
    e.output(e.node("Einsum", "e", [e.input("a", [2, 1, 2]), e.input("b", [2, 2])], ["equation": .string("...ij,...jk->...ik")]))
    XCTAssertEqual(try run(e.model(), ["a": ([2, 1, 2], [1, 2, 3, 4]), "b": ([2, 2], [1, 1, 0, 2])]), [1, 5, 3, 11])
    // Without `->`, the ellipsis' axes lead and the letters follow in order: `...ji` is `...ij`, a transpose.
    let t = TestGraph("ellipsis_implicit", seed: 18)
    t.output(t.node("Einsum", "e", [t.input("a", [1, 2, 3])], ["equation": .string("...ji")]))
    XCTAssertEqual(try run(t.model(), ["a": ([1, 2, 3], [1, 2, 3, 4, 5, 6])]), [1, 4, 2, 5, 3, 6])
    // A letter twice in one operand takes the diagonal; without `->` a diagonal letter is summed (a trace).
    let d = TestGraph("diagonal", seed: 19)
    d.output(d.node("Einsum", "e", [d.input("a", [2, 3, 3])], ["equation": .string("...ii->...i")]))
    XCTAssertEqual(try run(d.model(), ["a": ([2, 3, 3], (1...18).map(Float.init))]), [1, 5, 9, 10, 14, 18])
    let trace = TestGraph("trace", seed: 20)
    trace.output(trace.node("Einsum", "e", [trace.input("a", [3, 3])], ["equation": .string("ii")]))
    XCTAssertEqual(try run(trace.model(), ["a": ([3, 3], (1...9).map(Float.init))]), [15])
    // A letter three times is taken twice: x[k, k, k].
    let cube = TestGraph("cube", seed: 21)
    cube.output(cube.node("Einsum", "e", [cube.input("a", [2, 2, 2])], ["equation": .string("iii->i")]))
    XCTAssertEqual(try run(cube.model(), ["a": ([2, 2, 2], (1...8).map(Float.init))]), [1, 8])
    // Diagonals in both operands, then a product summed over them: sum_i a[i, i] * b[i, i].
    let both = TestGraph("both", seed: 22)
    both.output(both.node("Einsum", "e", [both.input("a", [2, 2]), both.input("b", [2, 2])], ["equation": .string("ii,ii->")]))
    XCTAssertEqual(try run(both.model(), ["a": ([2, 2], [1, 2, 3, 4]), "b": ([2, 2], [10, 20, 30, 40])]), [1 * 10 + 4 * 40])
  }

  /// The attention forms: `q @ k^T` is one Transpose and one MatMul; the others against the reference
  /// with the batch symbolic.
  func testEinsumMatchesReference() throws {
    let g = TestGraph("einsum_attention", seed: 14)
    let q = g.input("q", ["N", 2, 3, 4]), k = g.input("k", ["N", 2, 5, 4])
    let scores = g.node("Einsum", "scores", [q, k], ["equation": .string("bhid,bhjd->bhij")])
    g.output(scores)
    g.output(g.node("Einsum", "mix", [scores, k], ["equation": .string("bhij,bhjd->bhid")]))
    let model = g.model()
    let steps = try kernels(model)
    XCTAssertEqual(steps.filter { if case .matmul = $0 { true } else { false } }.count, 2, "\(steps)")
    XCTAssertEqual(steps.filter { if case .transpose = $0 { true } else { false } }.count, 1, "\(steps)")
    try assertCompiledMatchesReference(model)

    let m = TestGraph("einsum_forms", seed: 15)
    let x = m.input("x", ["N", 3, 4]), y = m.input("y", ["N", 4, 2, 3])
    let (q2, k2) = (m.input("q", ["N", 2, 3, 4]), m.input("k", ["N", 2, 5, 4]))
    m.output(m.node("Einsum", "bmm", [x, m.node("Relu", "r", [m.input("z", ["N", 4, 5])])], ["equation": .string("bij,bjk->bik")]))
    m.output(m.node("Einsum", "wide", [x, y], ["equation": .string("bij,bjkl->bikl")]))
    m.output(m.node("Einsum", "swap", [x], ["equation": .string("bij->bji")]))
    m.output(m.node("Einsum", "sum", [x], ["equation": .string("bij->bj")]))
    m.output(m.node("Einsum", "implicit", [x, m.weight("w", [4, 6])], ["equation": .string("bij,jk")]))
    m.output(m.node("Einsum", "summed", [y, m.weight("v", [3, 7])], ["equation": .string("bjkl,lm->bm")]))
    m.output(m.node("Einsum", "batched", [x, y], ["equation": .string("...ij,...jkl->...ikl")]))
    m.output(m.node("Einsum", "scores", [q2, k2], ["equation": .string("...id,...jd->...ij")]))
    let square = m.input("s", ["N", 3, 4, 3])
    m.output(m.node("Einsum", "diagonal", [square], ["equation": .string("biji->bji")]))
    m.output(m.node("Einsum", "diagonal_product", [square, x], ["equation": .string("bkjk,bij->bik")]))
    try assertCompiledMatchesReference(m.model())
  }

  func testEinsumRefusalsNameNodeAndEquation() throws {
    for (equation, reason) in [("ij->ii", "names an axis twice"), ("..ij->ji", "a '.' outside one '...'"), ("ij,jk,kl->il", "3 operands")] {
      let g = TestGraph("einsum_bad", seed: 16)
      let inputs = equation.hasPrefix("ij,jk,") ? [g.input("a", [2, 2]), g.input("b", [2, 2]), g.input("c", [2, 2])] : [g.input("a", [2, 2])]
      g.output(g.node("Einsum", "odd", inputs, ["equation": .string(equation)]))
      XCTAssertThrowsError(try Pipeline.compile(g.model())) {
        XCTAssertTrue("\($0)".contains("'odd'") && "\($0)".contains("equation '\(equation)'") && "\($0)".contains(reason), "\($0)")
      }
    }
  }
}
