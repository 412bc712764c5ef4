import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// Ops whose outputs are int64 indices computed at run time (ArgMax, ArgMin, TopK), on values worked
/// out by hand: the compiled plan (its output read as int64) against the reference interpreter.
final class IndexOpsTests: XCTestCase {
  /// `op` on `x` of `shape` (a symbolic batch first), compiled and run with `runTyped`, and by the
  /// reference interpreter: (compiled int64s, reference values, compiled output shape).
  func run(_ op: String, _ x: [Float], _ shape: [Int], _ attributes: [String: Attribute], opset: Int = 13) throws
    -> (compiled: [Int64], reference: [Int64], shape: [Int])
  {
    let g = TestGraph(op.lowercased())
    g.input("x", Shape(["N"] + shape.dropFirst().map { Dim.fixed($0) }))
    g.output(g.node(op, "out", ["x"], attributes))
    let model = g.model(opset: opset)
    let inputs = ["x": try FloatTensor(shape: shape, values: x)]
    let output = try Pipeline.compile(model)
    let typed = try CompiledModel(plan: output.plan, weights: output.weights).makeSession(threads: 1).runTyped(inputs)["out"]!
    let reference = try ReferenceInterpreter.run(model, inputs: inputs)["out"]!.values.map { Int64($0) }
    return (try typed.int64s(), reference, typed.shape)
  }

  /// Rows [3, 1, 3, -2, 1] and [0, -0, 7, 7, -5]: ties resolve to the first index, or the last
  /// with select_last_index; -0 ties with 0.
  func testArgMaxArgMinAlongTheLastAxis() throws {
    let x: [Float] = [3, 1, 3, -2, 1, 0, -0.0, 7, 7, -5]
    let cases: [(String, Int, [Int64])] = [
      ("ArgMax", 0, [0, 2]), ("ArgMax", 1, [2, 3]), ("ArgMin", 0, [3, 4]), ("ArgMin", 1, [3, 4]),
    ]
    for (op, last, want) in cases {
      let r = try run(op, x, [1, 2, 5], ["axis": .int(-1), "select_last_index": .int(last)])
      XCTAssertEqual(r.compiled, want, "\(op) select_last_index \(last)")
      XCTAssertEqual(r.reference, want, "\(op) select_last_index \(last), reference")
      XCTAssertEqual(r.shape, [1, 2, 1])
    }
    let ties = try run("ArgMin", [2, 0, -0.0, 5], [1, 4], ["axis": .int(1), "keepdims": .int(0)])
    XCTAssertEqual(ties.compiled, [1])
    XCTAssertEqual(ties.shape, [1])
  }

  /// Along a middle axis (moved last by a transpose), two batch items, keepdims 0: x[n, c, w].
  func testArgMaxAlongAMiddleAxis() throws {
    // Item 0: columns (1, 4, 0), (5, 5, 2); item 1: (-1, -3, -2), (0, 8, 8).
    let x: [Float] = [1, 5, 4, 5, 0, 2, -1, 0, -3, 8, -2, 8]
    let max = try run("ArgMax", x, [2, 3, 2], ["axis": .int(1), "keepdims": .int(0)])
    XCTAssertEqual(max.compiled, [1, 0, 0, 1])
    XCTAssertEqual(max.reference, [1, 0, 0, 1])
    XCTAssertEqual(max.shape, [2, 2])
    let last = try run("ArgMax", x, [2, 3, 2], ["axis": .int(1), "keepdims": .int(0), "select_last_index": .int(1)])
    XCTAssertEqual(last.compiled, [1, 1, 0, 2])
    // Opset 11 (no select_last_index yet), default axis 0 of a fixed [3, 2] input: whole mode.
    let g = TestGraph("argmin_fixed")
    g.input("x", [3, 2])
    g.output(g.node("ArgMin", "out", ["x"]))
    let fixed = try Pipeline.compile(g.model(opset: 11))
    let inputs = ["x": try FloatTensor(shape: [3, 2], values: [4, 1, -2, 1, 0, 0])]
    let out = try CompiledModel(plan: fixed.plan, weights: fixed.weights).makeSession(threads: 1).runTyped(inputs)["out"]!
    XCTAssertEqual(try out.int64s(), [1, 2])
    XCTAssertEqual(out.shape, [1, 2])
  }

  /// A NaN wins ArgMax and ArgMin (numpy's rule, which ONNX's reference follows).
  func testNaNWins() throws {
    for op in ["ArgMax", "ArgMin"] {
      let r = try run(op, [1, .nan, 3, .nan], [1, 4], ["axis": .int(1)])
      XCTAssertEqual(r.compiled, [1], op)
      XCTAssertEqual(r.reference, [1], op)
    }
  }

  /// Indices cast to float feed arithmetic, and compare with an int64 constant; an op that could
  /// compute a non-integer from them (Div) is refused naming its value, as is the batch axis.
  func testIndicesFeedCastAndComparisonsOnly() throws {
    let g = TestGraph("argmax_uses")
    g.input("x", ["N", 4])
    let index = g.node("ArgMax", "argmax", ["x"], ["axis": .int(1)])
    g.output(g.node("Add", "shifted", [g.node("Cast", "as_float", [index], ["to": .int(1)]), g.scalar("half", 0.5)]))
    g.output(g.node("Equal", "is_two", [index, g.ints("two", [2], dims: [])]))
    let output = try Pipeline.compile(g.model())
    let x = try FloatTensor(shape: [2, 4], values: [0, 1, 9, 2, 7, 1, 1, 1])
    let typed = try CompiledModel(plan: output.plan, weights: output.weights).makeSession(threads: 1).runTyped(["x": x])
    XCTAssertEqual(try typed["shifted"]?.floats().values, [2.5, 0.5])
    XCTAssertEqual(try typed["is_two"]?.bools(), [true, false])

    let div = TestGraph("argmax_div")
    div.input("x", ["N", 4])
    div.output(div.node("Div", "half", [div.node("ArgMax", "argmax", ["x"], ["axis": .int(1)]), div.ints("two", [2], dims: [])]))
    XCTAssertThrowsError(try Pipeline.compile(div.model())) {
      XCTAssertTrue("\($0)".contains("'half'") && "\($0)".contains("is int64 and not known at compile time"), "\($0)")
    }
    let batch = TestGraph("argmax_batch")
    batch.input("x", ["N", 4])
    batch.output(batch.node("ArgMax", "over_batch", ["x"], ["axis": .int(0)]))
    XCTAssertThrowsError(try Pipeline.compile(batch.model())) {
      XCTAssertTrue("\($0)".contains("ArgMax: an ArgMax across the batch (node 'over_batch')"), "\($0)")
    }
    let range = TestGraph("argmax_axis")
    range.input("x", ["N", 4])
    range.output(range.node("ArgMin", "bad_axis", ["x"], ["axis": .int(2)]))
    XCTAssertThrowsError(try Pipeline.compile(range.model())) {
      XCTAssertTrue("\($0)".contains("bad_axis") && "\($0)".contains("axis 2 is out of range for rank 2"), "\($0)")
    }
  }

  /// TopK(x, K) of `x` shaped `shape` (batch symbolic): values and indices compiled (int64 read
  /// with runTyped) and by the reference interpreter.
  func topK(_ x: [Float], _ shape: [Int], k: Int, _ attributes: [String: Attribute] = [:], opset: Int = 13) throws
    -> (values: [Float], indices: [Int64], reference: [Float], referenceIndices: [Int64], shape: [Int])
  {
    let g = TestGraph("topk")
    g.input("x", Shape(["N"] + shape.dropFirst().map { Dim.fixed($0) }))
    g.builder.node("TopK", name: "topk", inputs: opset < 10 ? ["x"] : ["x", g.ints("k", [k])], outputs: ["values", "indices"],
                   attributes: opset < 10 ? attributes.merging(["k": .int(k)]) { $1 } : attributes)
    g.output("values")
    g.builder.output("indices", type: .int64)
    let model = g.model(opset: opset)
    let inputs = ["x": try FloatTensor(shape: shape, values: x)]
    let output = try Pipeline.compile(model)
    let typed = try CompiledModel(plan: output.plan, weights: output.weights).makeSession(threads: 1).runTyped(inputs)
    let reference = try ReferenceInterpreter.run(model, inputs: inputs)
    return (try typed["values"]!.floats().values, try typed["indices"]!.int64s(), reference["values"]!.values,
            reference["indices"]!.values.map { Int64($0) }, typed["values"]!.shape)
  }

  /// Rows [3, 1, 3, -2, 1] and [0, -0, 7, 7, -5]: the largest three with ties by index, the
  /// smallest two; along a middle axis with K as opset 1's attribute.
  func testTopK() throws {
    let x: [Float] = [3, 1, 3, -2, 1, 0, -0.0, 7, 7, -5]
    let top = try topK(x, [1, 2, 5], k: 3)
    XCTAssertEqual(top.values, [3, 3, 1, 7, 7, 0])
    XCTAssertEqual(top.indices, [0, 2, 1, 2, 3, 0])
    XCTAssertEqual(top.reference, top.values)
    XCTAssertEqual(top.referenceIndices, top.indices)
    XCTAssertEqual(top.shape, [1, 2, 3])
    let low = try topK(x, [1, 2, 5], k: 2, ["largest": .int(0)], opset: 11)
    XCTAssertEqual(low.values, [-2, 1, -5, 0])
    XCTAssertEqual(low.indices, [3, 1, 4, 0])
    XCTAssertEqual(low.referenceIndices, low.indices)
    // x[n, c, w] along c (3 values): columns (1, 4, 0) and (5, 5, 2) of item 0.
    let middle = try topK([1, 5, 4, 5, 0, 2], [1, 3, 2], k: 2, ["axis": .int(1)], opset: 9)
    XCTAssertEqual(middle.values, [4, 5, 1, 5])
    XCTAssertEqual(middle.indices, [1, 0, 0, 1])
    XCTAssertEqual(middle.shape, [1, 2, 2])
    XCTAssertEqual(middle.referenceIndices, middle.indices)
  }

  /// K larger than the axis, K computed at run time and K = 0 are refused naming the node.
  func testTopKRefusals() throws {
    func compile(_ k: Int?, runTimeK: Bool = false) -> String {
      let g = TestGraph("topk_bad")
      g.input("x", ["N", 4])
      let kInput = runTimeK ? g.node("Cast", "k_from_x", [g.node("ArgMax", "argmax", ["x"], ["axis": .int(1), "keepdims": .int(0)])], ["to": .int(7)]) : g.ints("k", [k!])
      g.builder.node("TopK", name: "bad_topk", inputs: ["x", kInput], outputs: ["values", "indices"])
      g.output("values")
      do {
        _ = try Pipeline.compile(g.model())
        return "compiled"
      } catch { return "\(error)" }
    }
    XCTAssertTrue(compile(5).contains("bad_topk") && compile(5).contains("K 5 is larger than axis 1, which holds 4 values"), compile(5))
    XCTAssertTrue(compile(0).contains("bad_topk") && compile(0).contains("K must be at least 1"), compile(0))
    XCTAssertTrue(compile(nil, runTimeK: true).contains("bad_topk") && compile(nil, runTimeK: true).contains("K (input 1, 'k_from_x') must be a constant"),
                  compile(nil, runTimeK: true))
  }
}
