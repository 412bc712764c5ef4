import GraphIR
import GraphPlan
import TestSupport
import XCTest

@testable import GraphCompiler

/// Walks the registry: every supported op has a sample graph, and each sample goes through
/// the op's shape rule, its evaluator (the reference interpreter) and its lowering (compiled
/// and run at batch 1, 3 and a fixed 2, on 1 and 2 threads, against the interpreter). Ops that
/// only exist at compile time sit in a shape chain that constant folding must remove.
/// A new op without a sample here fails `testEveryOpHasASample`.
final class OperatorCoverageTests: XCTestCase {
  typealias Sample = @Sendable (TestGraph, String) -> String

  /// For each op type: given a graph and its input `x` [N, 2, 4, 4], the value to output.
  static let samples: [String: Sample] = {
    func unary(_ op: String, _ attributes: [String: Attribute] = [:]) -> Sample {
      { g, x in g.node(op, op.lowercased(), [x], attributes) }
    }
    func arithmetic(_ op: String) -> Sample {
      // Constant left and right, so both operand orders lower.
      { g, x in g.node(op, op.lowercased(), [g.weight("k", [2, 1, 4], 0.5, 2), g.node(op, "\(op)_r", [x, g.weight("k2", [4], 0.5, 2)])]) }
    }
    /// The exporter's flatten: Reshape(x, Concat(Unsqueeze(Cast(Gather(Shape(x), 0))), [-1])).
    let shapeChain: Sample = { g, x in
      let shape = g.node("Shape", "shape", [x])
      let n = g.node("Gather", "gather", [shape, g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
      let cast = g.node("Cast", "cast", [n], ["to": .int(Int(DataType.int64.rawValue))])
      let n1 = g.node("Unsqueeze", "unsqueeze", [cast, g.ints("axes0", [0])])
      let target = g.node("Concat", "target", [n1, g.ints("minus_one", [-1])], ["axis": .int(0)])
      return g.node("Reshape", "reshape", [x, target])
    }
    var s: [String: Sample] = [
      "Conv": { g, x in g.conv("conv", x, 2, 3, k: 3, pad: 1) },
      "ConvTranspose": { g, x in
        g.node("ConvTranspose", "convt", [x, g.weight("convt.w", [2, 3, 3, 3]), g.weight("convt.b", [3])], ["strides": .ints([2, 2]), "pads": .ints([1, 0, 1, 1])])
      },
      "MaxPool": unary("MaxPool", ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 1])]),
      "AveragePool": unary("AveragePool", ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]),
      "CumSum": { g, x in g.node("CumSum", "cumsum", [x, g.ints("axis", [1], dims: [])], ["exclusive": .int(1)]) },
      "LpPool": unary("LpPool", ["kernel_shape": .ints([2, 3]), "p": .int(3), "pads": .ints([1, 0, 0, 1])]),
      "GlobalAveragePool": unary("GlobalAveragePool"), "GlobalMaxPool": unary("GlobalMaxPool"),
      "Gemm": { g, x in g.dense("gemm", g.node("Flatten", "flat", [x]), 32, 5) },
      "MatMul": { g, x in g.node("MatMul", "matmul", [g.node("Flatten", "flat", [x]), g.weight("w", [32, 5])]) },
      "Sum": { g, x in g.node("Sum", "sum", [x, g.node("Relu", "relu", [x])]) },
      "BatchNormalization": { g, x in g.batchNorm("bn", x, 2) },
      "LRN": unary("LRN", ["size": .int(3), "alpha": .float(0.01), "beta": .float(0.75), "bias": .float(1)]),
      "Softmax": unary("Softmax", ["axis": .int(1)]),
      "Dropout": unary("Dropout"),
      "Identity": { g, x in g.node("Relu", "after", [g.node("Identity", "identity", [x])]) },
      "Concat": { g, x in g.node("Concat", "concat", [x, g.node("Relu", "relu", [x])], ["axis": .int(1)]) },
      "Flatten": unary("Flatten"),
      "Reshape": { g, x in g.node("Reshape", "reshape", [x, g.ints("target", [0, 4, -1])]) },
      "Transpose": unary("Transpose", ["perm": .ints([0, 1, 3, 2])]),
      "Unsqueeze": { g, x in g.node("Unsqueeze", "unsqueeze", [x, g.ints("axes", [4])]) },
      "Squeeze": { g, x in g.node("Squeeze", "squeeze", [g.node("Unsqueeze", "unsqueeze", [x, g.ints("axes", [2])]), g.ints("axes2", [2])]) },
      "ReduceMean": { g, x in g.node("ReduceMean", "reducemean", [x, g.ints("axes", [2, 3])]) },
      "Relu": unary("Relu"), "Sigmoid": unary("Sigmoid"), "HardSwish": unary("HardSwish"),
      "HardSigmoid": unary("HardSigmoid", ["alpha": .float(0.3), "beta": .float(0.4)]),
      "LeakyRelu": unary("LeakyRelu", ["alpha": .float(0.2)]), "Tanh": unary("Tanh"), "Erf": unary("Erf"),
      "Exp": unary("Exp"), "Neg": unary("Neg"), "Abs": unary("Abs"),
      // Away from 0 and negative values: no infinities or NaN to compare.
      "Reciprocal": { g, x in g.node("Reciprocal", "reciprocal", [g.node("Clip", "clip", [x, g.scalar("lo", 0.25), g.scalar("hi", 4)])]) },
      "Sqrt": { g, x in g.node("Sqrt", "sqrt", [g.node("Abs", "abs", [x])]) },
      "Pow": { g, x in g.node("Pow", "pow", [x, g.scalar("two", 2)]) },
      // Over the last two axes, with a scale broadcast along the rows and a full bias.
      "LayerNormalization": { g, x in
        g.node("LayerNormalization", "layernorm", [x, g.weight("gamma", [1, 4], 0.5, 1.5), g.weight("beta", [4, 4])],
               ["axis": .int(-2), "epsilon": .float(1e-3)])
      },
      // Channels 1..<2, rows backward from the last by 2, columns from 1 on (clamped end).
      "Slice": { g, x in
        g.node("Slice", "slice", [x, g.ints("starts", [1, -1, 1]), g.ints("ends", [2, -100, 99]), g.ints("axes", [1, 2, -1]), g.ints("steps", [1, -2, 1])])
      },
      // Uneven parts along the rows: the one-row part broadcast onto the other's relu.
      "Split": { g, x in
        g.builder.node("Split", name: "split", inputs: [x, g.ints("sizes", [1, 3])], outputs: ["part0", "part1"], attributes: ["axis": .int(2)])
        return g.node("Sub", "sub", ["part0", g.node("Relu", "relu", ["part1"])])
      },
      "Clip": { g, x in g.node("Clip", "clip", [x, g.scalar("lo", -0.25), g.scalar("hi", 0.5)]) },
      "Gelu": unary("Gelu", ["approximate": .string("tanh")]),
      "Constant": { g, x in
        g.node("Add", "add", [x, g.node("Constant", "constant", [], ["value": .tensor(Tensor(floats: [0.5, -1], dims: [2, 1, 1]))])])
      },
      "ConstantOfShape": { g, x in
        let fill = Tensor(floats: [1.5], dims: [1])
        return g.node("Mul", "mul", [x, g.node("ConstantOfShape", "filled", [g.ints("dims", [2, 1, 1])], ["value": .tensor(fill)])])
      },
      "Shape": shapeChain, "Gather": shapeChain, "Cast": shapeChain,
      // Range(4, 0, -4) = [4] in a Reshape target [0, 4, 2, -1]: folded away.
      "Range": { g, x in
        let range = g.node("Range", "range", [g.ints("start", [4], dims: []), g.ints("limit", [0], dims: []), g.ints("delta", [-4], dims: [])])
        let target = g.node("Concat", "target", [g.ints("lead", [0]), range, g.ints("tail", [2, -1])], ["axis": .int(0)])
        return g.node("Relu", "relu", [g.node("Reshape", "reshape", [x, target])])
      },
      // Reflected rows and columns, each side its own amount.
      "Pad": { g, x in g.node("Pad", "pad", [x, g.ints("pads", [0, 0, 1, 2, 0, 0, 3, 1])], ["mode": .string("reflect")]) },
      // A squeeze-excitation gate back over a 4x3 plane.
      "Expand": { g, x in g.node("Expand", "expand", [g.node("GlobalAveragePool", "gate", [x]), g.ints("shape", [1, 1, 4, 3])]) },
      "Tile": { g, x in g.node("Tile", "tile", [x, g.ints("repeats", [1, 1, 2, 1])]) },
      "Resize": { g, x in
        let scales = g.builder.constant("scales", Tensor(floats: [1, 1, 2, 1.5], dims: [4]))
        return g.node("Resize", "resize", [x, "", scales], ["mode": .string("linear")])
      },
      // Constant indices into a value without the batch (computed at run time), added onto x.
      "GatherND": { g, x in
        let rows = g.node("GatherND", "gathernd", [g.node("Relu", "relu", [g.weight("d", [3, 4])]), g.ints("i", [2, 0, 1, -1], dims: [4, 1])])
        return g.node("Add", "add", [x, rows])
      },
      "ScatterND": { g, x in
        let data = g.node("Relu", "relu", [g.weight("d", [4, 4])])
        return g.node("Add", "add", [x, g.node("ScatterND", "scatternd", [data, g.ints("i", [1, 3], dims: [2, 1]), g.weight("u", [2, 4])])])
      },
      // Run-time data without the batch (a Relu of a constant), constant indices along axis 1.
      "GatherElements": { g, x in
        let picked = g.node("GatherElements", "gatherelements", [g.node("Relu", "relu", [g.weight("d", [3, 4])]), g.ints("i", [3, 0, -1, 1], dims: [1, 4])], ["axis": .int(1)])
        return g.node("Add", "add", [x, picked])
      },
      "ScatterElements": { g, x in
        let data = g.node("Relu", "relu", [g.weight("d", [4, 4])])
        let scattered = g.node("ScatterElements", "scatterelements", [data, g.ints("i", [1, 3, 0, 2], dims: [1, 4]), g.weight("u", [1, 4])])
        return g.node("Add", "add", [x, scattered])
      },
      "Einsum": { g, x in g.node("Einsum", "einsum", [x, g.node("Relu", "relu", [x])], ["equation": .string("bcij,bckj->bcik")]) },
      "Upsample": { g, x in
        g.node("Upsample", "upsample", [x, g.builder.constant("scales", Tensor(floats: [1, 1, 2, 3], dims: [4]))], ["mode": .string("nearest")])
      },
    ]
    for op in ["Add", "Sub", "Mul", "Div"] { s[op] = arithmetic(op) }
    for op in ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare", "ReduceProd", "ReduceLogSumExp"] {
      s[op] = { g, x in g.node(op, op.lowercased(), [x, g.ints("axes", [1, 3])]) }
    }
    s["ReduceL1"] = { g, x in g.node("ReduceL1", "reducel1", [x, g.ints("axes", [1, 3])]) }
    // A positive sum to take the log of.
    s["ReduceLogSum"] = { g, x in g.node("ReduceLogSum", "reducelogsum", [g.node("Exp", "exp", [x]), g.ints("axes", [1, 3])]) }
    // Scaled so the values span several integers.
    for op in ["Floor", "Ceil", "Round"] { s[op] = { g, x in g.node(op, op.lowercased(), [g.node("Mul", "scaled", [x, g.scalar("five", 5)])]) } }
    s["InstanceNormalization"] = { g, x in
      g.node("InstanceNormalization", "instancenorm", [x, g.weight("scale", [2], 0.5, 1.5), g.weight("bias", [2])], ["epsilon": .float(1e-3)])
    }
    // Reshape(x, [Size(x) / 32, 4, -1]): Size is N*32, the target [N, 4, 8]; folded away.
    s["Size"] = { g, x in
      let items = g.node("Div", "items", [g.node("Size", "size", [x]), g.builder.constant("per_item", Tensor(int64s: [32], dims: []))])
      let target = g.node("Concat", "target", [g.node("Unsqueeze", "items1", [items, g.ints("axes0", [0])]), g.ints("rest", [4, -1])], ["axis": .int(0)])
      return g.node("Relu", "relu", [g.node("Reshape", "reshape", [x, target])])
    }
    s["LogSoftmax"] = unary("LogSoftmax", ["axis": .int(2)])
    // Max with a constant operand (one binary step); Min and Mean of three broadcasting operands.
    s["Max"] = { g, x in g.node("Max", "max", [x, g.weight("k", [4], -0.5, 0.5)]) }
    for op in ["Min", "Mean"] {
      s[op] = { g, x in
        g.node(op, op.lowercased(), [x, g.node("Relu", "relu", [x]), g.node("ReduceMean", "rows", [x, g.ints("axes", [2])])])
      }
    }
    // A slope per channel (a binary step) and one slope for all (LeakyRelu).
    s["PRelu"] = { g, x in
      g.node("PRelu", "prelu", [g.node("PRelu", "prelu1", [x, g.weight("slope", [2, 1, 1])]), g.scalar("one_slope", 0.3)])
    }
    s["Log"] = { g, x in g.node("Log", "log", [g.node("Exp", "exp", [x])]) }
    s["Softplus"] = unary("Softplus")
    s["Softsign"] = unary("Softsign")
    s["Elu"] = unary("Elu", ["alpha": .float(0.7)])
    s["Selu"] = unary("Selu", ["alpha": .float(1.5), "gamma": .float(1.1)])
    s["Celu"] = unary("Celu", ["alpha": .float(2)])
    s["ThresholdedRelu"] = unary("ThresholdedRelu", ["alpha": .float(0.1)])
    s["Sign"] = unary("Sign")
    // Bools as 0/1 through Where: x / 0 gives infinities of either sign, 0 / 0 never (x is random).
    s["IsInf"] = { g, x in g.node("Where", "where", [g.node("IsInf", "isinf", [g.node("Div", "div", [x, g.scalar("zero", 0)])], ["detect_negative": .int(0)]), g.scalar("one", 1), x]) }
    s["IsNaN"] = { g, x in
      let inf = g.node("Div", "div", [x, g.scalar("zero", 0)])
      return g.node("Where", "where", [g.node("IsNaN", "isnan", [g.node("Sub", "sub", [inf, inf])]), g.scalar("one", 1), x])
    }
    // A run-time mask selecting between x and a per-row constant (Where), the comparison against
    // a per-channel constant; the logic ops on two masks, then Where picks by the result.
    for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"] {
      s[op] = { g, x in
        let rounded = g.node("Relu", "relu", [x])  // zeros, so Equal holds somewhere
        return g.node("Where", "where", [g.node(op, op.lowercased(), [rounded, g.weight("k", [2, 1, 1], -0.1, 0.2)]), x, g.weight("fill", [4], -1, 1)])
      }
    }
    for op in ["And", "Or", "Xor"] {
      s[op] = { g, x in
        let a = g.node("Greater", "positive", [x, g.scalar("zero", 0)]), b = g.node("Less", "small", [x, g.weight("k", [4], -0.2, 0.2)])
        return g.node("Where", "where", [g.node(op, op.lowercased(), [a, b]), g.scalar("one", 1), x])
      }
    }
    s["Not"] = { g, x in g.node("Where", "where", [g.node("Not", "not", [g.node("Greater", "positive", [x, g.scalar("zero", 0)])]), x, g.scalar("one", 1)]) }
    s["Where"] = { g, x in
      let mask = g.builder.constant("mask", Tensor(dataType: .bool, dims: [4, 1], storage: .integers([1, 0, 0, 1])))
      return g.node("Where", "where", [mask, x, g.node("Neg", "neg", [x])])
    }
    // Run-time int64 indices as floats: along the last axis, and along the channels without keepdims.
    s["ArgMax"] = { g, x in g.node("Cast", "as_float", [g.node("ArgMax", "argmax", [x], ["axis": .int(3)])], ["to": .int(1)]) }
    s["ArgMin"] = { g, x in
      g.node("Cast", "as_float", [g.node("ArgMin", "argmin", [x], ["axis": .int(1), "keepdims": .int(0), "select_last_index": .int(1)])], ["to": .int(1)])
    }
    s["Hardmax"] = unary("Hardmax", ["axis": .int(2)])
    // Both outputs: the two largest along the channels (a transpose each way), plus their indices.
    s["TopK"] = { g, x in
      let top = g.builder.node("TopK", name: "topk", inputs: [x, g.ints("k", [2])], outputs: ["topk_values", "topk_indices"], attributes: ["axis": .int(1)])
      return g.node("Add", "sum", [top[0], g.node("Cast", "as_float", [top[1]], ["to": .int(1)])])
    }
    s["SpaceToDepth"] = unary("SpaceToDepth", ["blocksize": .int(2)])
    s["DepthToSpace"] = { g, x in g.node("DepthToSpace", "d2s", [g.conv("conv", x, 2, 8, k: 1, pad: 0)], ["blocksize": .int(2), "mode": .string("CRD")]) }
    s["Mish"] = unary("Mish")
    s["Shrink"] = unary("Shrink", ["lambd": .float(0.2), "bias": .float(0.1)])
    // Inside each function's domain: (-0.9, 0.9) for asin/acos/atanh, above 1 for acosh.
    for op in TrigonometricOp.opTypes {
      s[op] = { g, x in
        let inside = op == "Acosh" ? g.node("Add", "above_one", [g.node("Abs", "abs", [x]), g.scalar("one", 1.01)]) : g.node("Mul", "scaled", [x, g.scalar("k", 0.9)])
        return g.node(op, op.lowercased(), [inside])
      }
    }
    // The upper triangle from the diagonal above the main one; NaN outside it still becomes 0.
    s["Trilu"] = { g, x in g.node("Trilu", "trilu", [x, g.ints("k", [1], dims: [])]) }
    // A constant identity (folded) added to x.
    s["EyeLike"] = { g, x in g.node("Add", "add", [x, g.node("EyeLike", "eyelike", [g.weight("square", [4, 4])], ["k": .int(-1)])]) }
    s["LpNormalization"] = unary("LpNormalization", ["axis": .int(1), "p": .int(1)])
    // Per item (the default axes hold the batch): over H and W of each channel.
    s["MeanVarianceNormalization"] = unary("MeanVarianceNormalization", ["axes": .ints([2, 3])])
    s["Mod"] = { g, x in g.node("Mod", "mod", [x, g.weight("k", [2, 1, 4], 0.2, 0.5)], ["fmod": .int(1)]) }
    // Over the last two axes (a row of 16 per channel), a scale broadcast along the rows.
    s["RMSNormalization"] = { g, x in
      g.node("RMSNormalization", "rmsnorm", [x, g.weight("scale", [1, 4], 0.5, 1.5)], ["axis": .int(-2), "epsilon": .float(1e-3)])
    }
    // A constant cast like the run-time x, then a run-time x cast like itself.
    s["CastLike"] = { g, x in
      g.node("CastLike", "same", [g.node("Mul", "scaled", [x, g.node("CastLike", "three", [g.ints("three_int", [3], dims: []), x])]), x])
    }
    return s
  }()

  func testEveryOpHasASample() {
    let missing = Set(OperatorRegistry.byOp.keys).subtracting(Self.samples.keys)
    XCTAssertEqual(missing, [], "add a sample for each new op")
  }

  /// At opset 18 (axes as inputs everywhere) and at the newest supported opset.
  func testEverySampleInfersEvaluatesAndLowers() throws {
    for op in OperatorRegistry.byOp.keys.sorted() {
      for opset in [18, OperatorRegistry.opsetVersions.upperBound] { try check(op, opset: opset) }
    }
  }

  /// Ops newer than opset 18, with the opset that introduced them: their samples run there.
  static let introduced = ["Gelu": 20, "RMSNormalization": 23]

  func check(_ op: String, opset: Int) throws {
    let opset = max(opset, Self.introduced[op] ?? opset)
    do {
      guard let sample = Self.samples[op] else { return }
      let g = TestGraph(op.lowercased())
      g.output(sample(g, g.input("x", ["N", 2, 4, 4])))
      let model = g.model(opset: opset)
      XCTAssertTrue(model.graph.nodes.contains { $0.opType == op }, "\(op): the sample does not use it")
      _ = try ShapeInference.infer(model)
      try assertCompiledMatchesReference(model)
    } catch {
      XCTFail("\(op) at opset \(opset): \(error)")
    }
  }

  /// ConvNeXt's forms: channels-last (a Transpose), a mean over the last axis and over the last
  /// two, LayerNorm on the last axis, and a MatMul (+ bias) on every row of [N, H, W, C].
  func testChannelsLastForms() throws {
    let g = TestGraph("channels_last")
    let x = g.input("x", ["N", 3, 4, 5])
    let t = g.node("Transpose", "nhwc", [x], ["perm": .ints([0, 2, 3, 1])])  // [N, 4, 5, 3]
    let mean = g.node("ReduceMean", "mean_c", [t, g.ints("axes_c", [-1])])  // [N, 4, 5, 1]
    let centered = g.node("Sub", "centered", [t, mean])
    let meanHW = g.node("ReduceMean", "mean_wc", [centered, g.ints("axes_wc", [2, 3])], ["keepdims": .int(0)])  // [N, 4]
    let norm = g.node("LayerNormalization", "ln", [centered, g.weight("gamma", [3], 0.5, 1.5), g.weight("beta", [3])])
    let linear = g.node("Add", "bias", [g.node("MatMul", "linear", [norm, g.weight("w", [3, 6])]), g.weight("b", [6])])  // [N, 4, 5, 6]
    g.output(g.node("Erf", "erf", [linear]))
    g.output(meanHW)
    let model = g.model(opset: 18)
    try assertCompiledMatchesReference(model)
    let kinds = try Pipeline.compile(model).plan.steps.map { PlanDescription.summary($0.kernel) }
    XCTAssertTrue(kinds.contains("dense 3→6 ×20 rows erf"), "the MatMul, its bias and the Erf are one step: \(kinds)")
    XCTAssertTrue(kinds.contains { $0.hasPrefix("layer-norm axis 2") }, "\(kinds)")
  }

  /// Before opset 13 Softmax normalizes over every axis from `axis` on (the ONNX model zoo's
  /// SqueezeNet ends this way): lowered on flattened views, checked against the interpreter.
  func testSoftmaxOverTrailingAxesBeforeOpset13() throws {
    for axis in [1, 2, -2] {
      let g = TestGraph("softmax_trailing")
      let x = g.input("x", ["N", 3, 2, 5])
      g.output(g.node("Softmax", "softmax", [g.node("Relu", "relu", [x])], ["axis": .int(axis)]))
      try assertCompiledMatchesReference(g.model(opset: 11))
      let out = try Pipeline.compile(g.model(opset: 11))
      guard case .softmax? = out.plan.steps.last?.kernel else { return XCTFail("expected a softmax step") }
      XCTAssertEqual(out.plan.outputs[0].view.dims, [3, 2, 5], "the output keeps its shape")
    }
  }
}
