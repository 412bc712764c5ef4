import GraphIR
import GraphPlan
import GraphRuntime
import TestSupport
import XCTest

@testable import GraphCompiler

/// Forms the ONNX node tests exercise (Tools/check_node_tests.py runs the tests themselves):
/// LogSoftmax's old and new axis, the Reduce family's axes and kinds,
/// 1-D and 3-D convolutions and pools, ReduceMean over middle axes, LayerNormalization's Mean and
/// InvStdDev outputs, Sum of one or of three operands, and opset 6's legacy attributes.
final class NodeTestFormsTests: XCTestCase {
  func run(_ model: Model, _ inputs: [String: FloatTensor]) throws -> [String: FloatTensor] {
    try Compile.run(try Pipeline.compile(model), inputs, threads: 1)
  }

  /// A 1-D convolution by hand: [1, 2, 3, 4, 5] with kernel [1, 0, -1], stride 2, pad 1 on each side.
  func testOneDimensionalConvolutionByHand() throws {
    let g = TestGraph("conv1d")
    let x = g.input("x", ["N", 1, 5])
    let w = g.builder.constant("w", Tensor(floats: [1, 0, -1], dims: [1, 1, 3]))
    g.output(g.node("Conv", "conv", [x, w], ["strides": .ints([2]), "pads": .ints([1, 1])]))
    let y = try XCTUnwrap(run(g.model(), ["x": try FloatTensor(shape: [1, 1, 5], values: [1, 2, 3, 4, 5])]).values.first)
    // Padded [0, 1, 2, 3, 4, 5, 0]; windows at 0, 2, 4: 0-2, 2-4, 4-0.
    XCTAssertEqual(y.shape, [1, 1, 3])
    XCTAssertEqual(y.values, [-2, -2, 4])
  }

  /// Grouped and dilated 1-D convolutions, then 1-D max and average pools (with and without the
  /// padding counted, ceil mode, SAME padding), against the reference interpreter.
  func testOneDimensionalConvolutionsAndPools() throws {
    let g = TestGraph("sequence")
    let x = g.input("x", ["N", 4, 11])
    let w = g.weight("w", [6, 2, 3])
    let conv = g.node("Conv", "conv", [x, w, g.weight("b", [6])], ["group": .int(2), "dilations": .ints([2]), "pads": .ints([2, 1])])
    let relu = g.node("Relu", "relu", [conv])
    let maxPool = g.node("MaxPool", "max", [relu], ["kernel_shape": .ints([3]), "strides": .ints([2]), "ceil_mode": .int(1)])
    let average = g.node("AveragePool", "avg", [relu], ["kernel_shape": .ints([3]), "pads": .ints([1, 1]), "count_include_pad": .int(1)])
    let same = g.node("AveragePool", "same", [relu], ["kernel_shape": .ints([2]), "strides": .ints([2]), "auto_pad": .string("SAME_UPPER")])
    let pointwise = g.node("Conv", "pointwise", [average, g.weight("w1", [3, 6, 1])])
    for out in [maxPool, pointwise, same] { g.output(out) }
    try assertCompiledMatchesReference(g.model())
  }

  /// 3-D convolutions (grouped, strided, dilated, depthwise with SAME padding, a folded BatchNorm,
  /// a fused bias, ReLU and residual) and pools (ceil mode, the padding counted, SAME), a channel concat that conv-nd
  /// and pool-nd steps write in place, and a global pool, against the reference interpreter.
  func testThreeDimensionalConvolutionsAndPools() throws {
    let g = TestGraph("volume")
    let x = g.input("x", ["N", 4, 6, 7, 9])
    let conv = g.node("Conv", "conv", [x, g.weight("w", [6, 2, 3, 3, 3]), g.weight("b", [6])], [
      "group": .int(2), "pads": .ints([1, 1, 1, 1, 1, 1]), "strides": .ints([1, 2, 1]), "dilations": .ints([1, 1, 2]),
    ])
    let relu = g.node("Relu", "relu", [g.batchNorm("bn", conv, 6)])  // [N, 6, 6, 4, 7], the BatchNorm folded into the conv
    let pointwise = g.node("Conv", "pointwise", [relu, g.weight("w1", [6, 6, 1, 1, 1])])
    let residual = g.node("Relu", "relu2", [g.node("Add", "add", [pointwise, relu])])
    let depthwise = g.node("Conv", "depthwise", [residual, g.weight("wd", [6, 1, 3, 2, 3])], [
      "group": .int(6), "auto_pad": .string("SAME_LOWER"),
    ])
    let average = g.node("AveragePool", "avg", [residual], [
      "kernel_shape": .ints([3, 3, 3]), "pads": .ints([1, 1, 1, 1, 1, 1]), "count_include_pad": .int(1),
    ])
    let joined = g.node("Concat", "concat", [depthwise, average], ["axis": .int(1)])
    let maxPool = g.node("MaxPool", "max", [joined], ["kernel_shape": .ints([2, 2, 3]), "strides": .ints([2, 2, 2]), "ceil_mode": .int(1)])
    let same = g.node("AveragePool", "same", [joined], ["kernel_shape": .ints([2, 2, 2]), "strides": .ints([2, 2, 2]), "auto_pad": .string("SAME_UPPER")])
    for out in [maxPool, same, g.node("GlobalAveragePool", "gap", [joined])] { g.output(out) }
    try assertCompiledMatchesReference(g.model())
    let plan = try Pipeline.compile(g.model()).plan
    let kinds = plan.steps.map { PlanDescription.kind($0.kernel) }
    XCTAssertEqual(kinds.filter { $0 == "conv-nd" }.count, 3, "\(kinds)")
    XCTAssertEqual(kinds.filter { $0 == "pool-nd" }.count, 3, "\(kinds)")
    XCTAssertFalse(kinds.contains("copy"), "the concat is done in place: \(kinds)")
    XCTAssertEqual(plan.steps.filter { PlanDescription.isSlice($0.output) }.count, 2)
    // The BatchNorm, bias, ReLU and residual Add went into the convs' epilogues.
    let convs = plan.steps.filter { PlanDescription.kind($0.kernel) == "conv-nd" }.map { PlanDescription.summary($0.kernel) }
    XCTAssertEqual(convs.filter { $0.hasSuffix("relu") }.count, 1, "\(convs)")
    XCTAssertEqual(convs.filter { $0.hasSuffix("relu +residual") }.count, 1, "\(convs)")
    XCTAssertFalse(kinds.contains("channel-affine") || kinds.contains("binary") || kinds.contains("activation"), "\(kinds)")
  }

  /// Up to 8 spatial axes run; a 9-axis pool is refused by name (the plan's windows stop at 8).
  func testNineSpatialAxesAreRefused() throws {
    func pool(axes: Int) -> Model {
      let g = TestGraph("wide")
      let x = g.input("x", Shape(["N", 2] + [Dim](repeating: .fixed(2), count: axes)))
      g.output(g.node("MaxPool", "pool", [x], ["kernel_shape": .ints([Int](repeating: 2, count: axes))]))
      return g.model()
    }
    try assertCompiledMatchesReference(pool(axes: 8))
    XCTAssertThrowsError(try Pipeline.compile(pool(axes: 9))) {
      XCTAssertTrue("\($0)".contains("MaxPool: PoolND: 9 spatial axes (1 to 8 allowed) (node 'pool')"), "\($0)")
    }
  }

  /// MaxPool's Indices output is refused by name, not as an int64 value the runtime cannot compute.
  func testMaxPoolIndicesAreRefusedByName() {
    let g = TestGraph("argmax")
    g.builder.node("MaxPool", name: "pool", inputs: [g.input("x", ["N", 2, 4, 4])], outputs: ["y", "idx"],
                   attributes: ["kernel_shape": .ints([2, 2])])
    g.output("y")
    g.output("idx")
    XCTAssertThrowsError(try Pipeline.compile(g.model())) {
      XCTAssertTrue("\($0)".contains("MaxPool: its Indices output (output 1, 'idx') is not supported"), "\($0)")
    }
  }

  /// A mean over the channels of NCHW and over channels and width, which a transpose moves last.
  func testReduceMeanOverMiddleAxes() throws {
    let g = TestGraph("middle_mean")
    let x = g.input("x", ["N", 3, 4, 5])
    g.output(g.node("ReduceMean", "channels", [x, g.ints("axes_c", [1])]))
    g.output(g.node("ReduceMean", "channels_width", [x, g.ints("axes_cw", [-1, 1])], ["keepdims": .int(0)]))
    try assertCompiledMatchesReference(g.model(opset: 18))
  }

  /// LogSoftmax before opset 13 normalizes over every axis from `axis` on, from 13 along `axis`
  /// alone: [0, 1, 2, 3] as [1, 2, 2], by hand.
  func testLogSoftmaxOldAndNewAxisSemantics() throws {
    for (opset, expected) in [(11, [-3.4401897, -2.4401897, -1.4401897, -0.4401897]), (13, [-2.126928, -2.126928, -0.126928, -0.126928])] {
      let g = TestGraph("log_softmax")
      g.output(g.node("LogSoftmax", "lsm", [g.input("x", ["N", 2, 2])], ["axis": .int(1)]))
      let y = try XCTUnwrap(run(g.model(opset: opset), ["x": try FloatTensor(shape: [1, 2, 2], values: [0, 1, 2, 3])]).values.first)
      assertClose(y.values, expected.map(Float.init), atol: 1e-6, rtol: 0, "opset \(opset)")
    }
  }

  /// ReduceSum's axes: an attribute at opset 12, an input from 13 (the others move at 18), an
  /// attribute where an input is due is refused by name; every kind by hand over the last axis.
  func testReduceFamilyAxesAndKindsByHand() throws {
    let x = try FloatTensor(shape: [1, 2, 3], values: [1, -2, 3, 4, 0.5, -1])
    for (opset, useInput) in [(12, false), (13, true)] {
      let g = TestGraph("reduce_sum")
      let input = g.input("x", ["N", 2, 3])
      g.output(useInput ? g.node("ReduceSum", "sum", [input, g.ints("axes", [-1])]) : g.node("ReduceSum", "sum", [input], ["axes": .ints([-1])]))
      XCTAssertEqual(try XCTUnwrap(run(g.model(opset: opset), ["x": x]).values.first).values, [2, 3.5])
    }
    let stale = TestGraph("stale_axes")
    stale.output(stale.node("ReduceMax", "max", [stale.input("x", ["N", 2, 3])], ["axes": .ints([-1])]))
    XCTAssertThrowsError(try Pipeline.compile(stale.model(opset: 18))) {
      XCTAssertTrue("\($0)".contains("'axes' is an input from opset 18 on"), "\($0)")
    }
    let expected: [(String, [Float])] = [
      ("ReduceMax", [3, 4]), ("ReduceMin", [-2, -1]), ("ReduceProd", [-6, -2]), ("ReduceSumSquare", [14, 17.25]),
      ("ReduceL2", [Float(14).squareRoot(), Float(17.25).squareRoot()]), ("ReduceLogSumExp", [3.1328452, 4.0362696]),
    ]
    for (op, values) in expected {
      let g = TestGraph(op.lowercased())
      g.output(g.node(op, "reduce", [g.input("x", ["N", 2, 3]), g.ints("axes", [2])], ["keepdims": .int(0)]))
      let y = try XCTUnwrap(run(g.model(opset: 18), ["x": x]).values.first)
      XCTAssertEqual(y.shape, [1, 2], op)
      assertClose(y.values, values, atol: 0, rtol: 2e-7, op)
    }
  }

  /// Mean and InvStdDev as graph outputs, and only InvStdDev read by a later node.
  func testLayerNormalizationStatistics() throws {
    for axis in [1, 2, -1] {
      let g = TestGraph("layernorm_stats")
      let x = g.input("x", ["N", 3, 4, 5])
      g.builder.node("LayerNormalization", name: "ln", inputs: [x, g.weight("scale", [5], 0.5, 1.5)],
                     outputs: ["y", "mean", "inv"], attributes: ["axis": .int(axis)])
      for out in ["y", "mean", "inv"] { g.output(out) }
      try assertCompiledMatchesReference(g.model(opset: 17))
    }
    let g = TestGraph("layernorm_inv")
    let x = g.input("x", ["N", 3, 4])
    g.builder.node("LayerNormalization", name: "ln", inputs: [x, g.weight("scale", [4])], outputs: ["y", "", "inv"], attributes: [:])
    g.output(g.node("Mul", "scaled", ["y", "inv"]))
    try assertCompiledMatchesReference(g.model(opset: 17))
  }

  /// RMSNormalization of a fixed-shape value over every axis from 0 or 1 on (the node tests'
  /// axis-0 cases): without a batch, axis 0 is just the first axis.
  func testRMSNormalizationFromTheFirstAxisOfAFixedValue() throws {
    for (axis, scale) in [(0, [2, 3, 4]), (1, [3, 4]), (-3, [2, 3, 4])] {
      let g = TestGraph("rmsnorm_fixed_axis\(axis)")
      let x = g.input("x", [2, 3, 4])
      g.output(g.node("RMSNormalization", "rms", [x, g.weight("scale", scale, 0.5, 1.5)], ["axis": .int(axis)]))
      try assertFixedCompiledMatchesReference(g.model(opset: 23))
    }
  }

  /// Sum of one operand (a copy) and of three, broadcasting ([N, 3, 1] + [N, 3, 4] + [N, 1, 4]).
  func testSumOfOneAndOfThreeOperands() throws {
    func sums(_ rows: Int, _ columns: Int) -> Model {
      let g = TestGraph("sums")
      let x = g.input("x", ["N", .fixed(rows), .fixed(columns)])
      let rowMeans = g.node("ReduceMean", "rows", [x], ["axes": .ints([2])])
      let columnMeans = g.node("ReduceMean", "columns", [x], ["axes": .ints([1])])
      g.output(g.node("Sum", "three", [rowMeans, g.node("Relu", "relu", [x]), columnMeans]))
      g.output(g.node("Sum", "one", [g.node("Neg", "neg", [x])]))
      return g.model(opset: 13)
    }
    try assertCompiledMatchesReference(sums(3, 4))
    let y = try run(sums(1, 2), ["x": try FloatTensor(shape: [1, 1, 2], values: [1, -3])])
    XCTAssertEqual(y["three"]?.values, [-1 + 1 + 1, -1 + 0 - 3])  // row mean -1, relu, column means
    XCTAssertEqual(y["one"]?.values, [-1, 3])
  }

  /// Opset 6's Add with `broadcast=1` and `axis=1`: B [3] lines up with A [N, 3, 2] at axis 1.
  func testOpset6BroadcastAlongAnAxis() throws {
    let g = TestGraph("legacy_add")
    let x = g.input("x", ["N", 3, 2])
    let b = g.builder.constant("b", Tensor(floats: [10, 20, 30], dims: [3]))
    g.output(g.node("Add", "add", [x, b], ["broadcast": .int(1), "axis": .int(1)]))
    let y = try XCTUnwrap(run(g.model(opset: 6), ["x": try FloatTensor(shape: [1, 3, 2], values: [1, 2, 3, 4, 5, 6])]).values.first)
    XCTAssertEqual(y.shape, [1, 3, 2])
    XCTAssertEqual(y.values, [11, 12, 23, 24, 35, 36])
    try assertCompiledMatchesReference(g.model(opset: 6))
    // A run-time B lines up the same way.
    let r = TestGraph("legacy_mul")
    let a = r.input("a", ["N", 3, 2])
    let pooled = r.node("GlobalAveragePool", "pool", [r.node("Unsqueeze", "four", [a], ["axes": .ints([3])])])  // [N, 3, 1, 1]
    let flat = r.node("Flatten", "flat", [pooled])  // [N, 3]
    r.output(r.node("Mul", "mul", [r.node("Unsqueeze", "five", [a], ["axes": .ints([3])]), flat], ["broadcast": .int(1), "axis": .int(0)]))
    try assertCompiledMatchesReference(r.model(opset: 6))
  }

  /// Opset 6's PRelu: a 1-D slope is one value per channel (axis 1), as PyTorch's exporter wrote
  /// `PReLU(3)` (the node tests' pytorch-converted PReLU_*_multiparam); from opset 7 the same slope
  /// lines up with the last axis, numpy's way.
  func testOpset6PReluSlopeIsPerChannel() throws {
    func model(opset: Int, width: Int) -> Model {
      let g = TestGraph("prelu")
      let x = g.input("x", Shape(["N", 3, 2, .fixed(width)]))
      g.output(g.node("PRelu", "prelu", [x, g.builder.constant("slope", Tensor(floats: [0.5, 2, -1], dims: [3]))]))
      return g.model(opset: opset)
    }
    let x = try FloatTensor(shape: [1, 3, 2, 1], values: [-2, 4, -2, 4, -2, 4])
    let y = try XCTUnwrap(run(model(opset: 6, width: 1), ["x": x]).values.first)
    XCTAssertEqual(y.values, [-1, 4, -4, 4, 2, 4])
    try assertCompiledMatchesReference(model(opset: 6, width: 1))
    try assertCompiledMatchesReference(model(opset: 6, width: 3))
    // Opset 7: [3] lines up with the last axis, which must then be 3 (or 1).
    XCTAssertThrowsError(try Pipeline.compile(model(opset: 7, width: 2)))
    try assertCompiledMatchesReference(model(opset: 7, width: 3))
  }

  func testOpset6LegacyAttributesAreCheckedAndRefusedLater() {
    func message(_ model: Model) -> String {
      do { _ = try Pipeline.compile(model); return "no error" } catch { return "\(error)" }
    }
    func add(_ attributes: [String: Attribute], opset: Int, b bDims: [Int] = [3]) -> Model {
      let g = TestGraph("add")
      g.output(g.node("Add", "add", [g.input("x", ["N", 3, 2]), g.weight("b", bDims)], attributes))
      return g.model(opset: opset)
    }
    XCTAssertTrue(message(add(["broadcast": .int(1)], opset: 7)).contains("attribute 'broadcast' (opset 7 dropped it; the model imports opset 7)"))
    XCTAssertTrue(message(add([:], opset: 6)).contains("A and B must have the same shape without broadcast=1"))
    XCTAssertTrue(message(add(["broadcast": .int(1), "axis": .int(2)], opset: 6, b: [3, 2])).contains("B of rank 2 does not fit A of rank 3 from axis 2"))
    let g = TestGraph("bn")
    let bn = g.batchNorm("bn", g.input("x", ["N", 2, 3, 3]), 2)
    g.output(bn)
    var model = g.model(opset: 6)
    model.graph.nodes = model.graph.nodes.map { var n = $0; n.attributes["is_test"] = .int(0); return n }
    XCTAssertTrue(message(model).contains("is_test=0 (training mode"), message(model))
    model.graph.nodes = model.graph.nodes.map { var n = $0; n.attributes["is_test"] = .int(1); return n }
    XCTAssertEqual(message(model), "no error")
  }
}
