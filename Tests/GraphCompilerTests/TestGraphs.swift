import GraphIR
import GraphRuntime
import TestSupport
import XCTest

@testable import GraphCompiler

/// A ``GraphBuilder`` with random weights and short helpers for the layers tests use.
final class TestGraph {
  let builder: GraphBuilder
  var random: SeededRandom

  init(_ name: String, seed: UInt64 = 1) {
    builder = GraphBuilder(name: name)
    random = SeededRandom(seed: seed)
  }

  @discardableResult
  func input(_ name: String, _ shape: Shape) -> String { builder.input(name, shape) }

  /// A constant of random floats in [lo, hi).
  func weight(_ name: String, _ dims: [Int], _ lo: Float = -0.5, _ hi: Float = 0.5) -> String {
    builder.constant(name, Tensor(floats: random.floats(dims.reduce(1, *), lo, hi), dims: dims))
  }

  func ints(_ name: String, _ values: [Int], dims: [Int]? = nil) -> String {
    builder.constant(name, Tensor(int64s: values.map(Int64.init), dims: dims ?? [values.count]))
  }

  func scalar(_ name: String, _ value: Float) -> String { builder.constant(name, Tensor(scalar: value)) }

  @discardableResult
  func node(_ op: String, _ name: String, _ inputs: [String], _ attributes: [String: Attribute] = [:]) -> String {
    builder.node(op, name: name, inputs: inputs, attributes: attributes)
  }

  /// Conv `in → out` channels with a k×k kernel and a random bias (unless `bias` is false).
  func conv(
    _ name: String, _ x: String, _ inChannels: Int, _ outChannels: Int, k: Int, pad: Int = 0,
    group: Int = 1, bias: Bool = true, _ extra: [String: Attribute] = [:]
  ) -> String {
    let w = weight("\(name).weight", [outChannels, inChannels / group, k, k])
    var inputs = [x, w]
    if bias { inputs.append(weight("\(name).bias", [outChannels])) }
    var attributes: [String: Attribute] = ["kernel_shape": .ints([k, k]), "pads": .ints([pad, pad, pad, pad])]
    if group != 1 { attributes["group"] = .int(group) }
    attributes.merge(extra) { $1 }
    if extra["auto_pad"] != nil { attributes["pads"] = nil }
    return node("Conv", name, inputs, attributes)
  }

  /// Inference BatchNorm with non-trivial statistics.
  func batchNorm(_ name: String, _ x: String, _ channels: Int) -> String {
    let gamma = weight("\(name).scale", [channels], 0.5, 1.5)
    let beta = weight("\(name).bias", [channels], -0.5, 0.5)
    let mean = weight("\(name).mean", [channels], -0.5, 0.5)
    let variance = weight("\(name).var", [channels], 0.25, 2)
    return node("BatchNormalization", name, [x, gamma, beta, mean, variance], ["epsilon": .float(1e-3)])
  }

  /// Gemm `x[N, in] → [N, out]` with weights [out, in] (transB = 1) and a bias.
  func dense(_ name: String, _ x: String, _ inFeatures: Int, _ outFeatures: Int) -> String {
    let w = weight("\(name).weight", [outFeatures, inFeatures])
    let b = weight("\(name).bias", [outFeatures])
    return node("Gemm", name, [x, w, b], ["transB": .int(1)])
  }

  func output(_ name: String) { builder.output(name) }

  func model(opset: Int = 13) -> Model { Model(graph: builder.build(), opsetImports: ["": opset]) }
}

/// The small graphs the pass and end-to-end tests share. Every input has the symbolic batch `N`.
enum TestGraphs {
  /// Conv → Shape → Gather(0) → Unsqueeze → Concat([n], [-1]) → Reshape → Gemm, plus
  /// `Add(gemm, Mul(c1, c2))` with two constants: the exporter's flatten and some constant arithmetic.
  static func shapeChain() -> Model {
    let g = TestGraph("shape_chain")
    let x = g.input("x", ["N", 2, 4, 4])
    let c = g.conv("conv", x, 2, 3, k: 3, pad: 1)
    let shape = g.node("Shape", "shape", [c])
    let n = g.node("Gather", "gather", [shape, g.builder.constant("zero", Tensor(int64s: [0], dims: []))], ["axis": .int(0)])
    let n1 = g.node("Unsqueeze", "unsqueeze", [n, g.ints("axes0", [0])])
    let target = g.node("Concat", "concat", [n1, g.ints("minus_one", [-1])], ["axis": .int(0)])
    let flat = g.node("Reshape", "reshape", [c, target])
    let fc = g.dense("fc", flat, 48, 5)
    let k = g.node("Mul", "const_mul", [g.weight("c1", [5]), g.weight("c2", [5])])
    let y = g.node("Add", "add", [fc, k])
    g.output(y)
    return g.model()
  }

  /// Conv → BatchNorm → Relu.
  static func convBatchNorm() -> Model {
    let g = TestGraph("conv_bn", seed: 2)
    let x = g.input("x", ["N", 3, 8, 8])
    let c = g.conv("conv", x, 3, 4, k: 3, pad: 1)
    let bn = g.batchNorm("bn", c, 4)
    g.output(g.node("Relu", "relu", [bn]))
    return g.model()
  }

  /// BatchNorm straight on the input and after a MaxPool: nothing to fold into.
  static func lonelyBatchNorm() -> Model {
    let g = TestGraph("lonely_bn", seed: 3)
    let x = g.input("x", ["N", 3, 6, 6])
    let bn = g.batchNorm("bn", x, 3)
    let p = g.node("MaxPool", "pool", [bn], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
    let bn2 = g.batchNorm("bn2", p, 3)
    g.output(g.node("Relu", "relu", [bn2]))
    return g.model()
  }

  /// Conv (no bias) → Mul by [1, C, 1, 1] → Add [C, 1, 1]: both folded into the conv.
  static func convMulAdd() -> Model {
    let g = TestGraph("conv_mul_add", seed: 4)
    let x = g.input("x", ["N", 2, 5, 5])
    let c = g.conv("conv", x, 2, 4, k: 3, bias: false)
    let m = g.node("Mul", "mul", [c, g.weight("mul.c", [1, 4, 1, 1], 0.5, 2)])
    g.output(g.node("Add", "add", [m, g.weight("add.c", [4, 1, 1])]))
    return g.model()
  }

  /// Gemm → BatchNorm over features.
  static func gemmBatchNorm() -> Model {
    let g = TestGraph("gemm_bn", seed: 5)
    let x = g.input("x", ["N", 6])
    let fc = g.dense("fc", x, 6, 5)
    g.output(g.batchNorm("bn", fc, 5))
    return g.model()
  }

  /// Conv → Clip(0, 6), with the bounds as inputs (opset 13).
  static func convClip() -> Model {
    let g = TestGraph("conv_clip", seed: 6)
    let x = g.input("x", ["N", 2, 6, 6])
    let c = g.conv("conv", x, 2, 3, k: 3, pad: 1)
    g.output(g.node("Clip", "clip", [c, g.scalar("lo", 0), g.scalar("hi", 6)]))
    return g.model()
  }

  /// x → conv a → Relu → conv b → Add(b, relu) → Relu: a ResNet basic block's tail.
  static func residual() -> Model {
    let g = TestGraph("residual", seed: 7)
    let x = g.input("x", ["N", 4, 6, 6])
    let a = g.node("Relu", "relu_a", [g.conv("conv_a", x, 4, 4, k: 3, pad: 1)])
    let b = g.conv("conv_b", a, 4, 4, k: 3, pad: 1)
    let sum = g.node("Add", "add", [b, a])
    g.output(g.node("Relu", "relu_out", [sum]))
    return g.model()
  }

  /// Flatten → Gemm → Relu → Gemm, with a Dropout and an Identity on the way to the output.
  static func gemmRelu() -> Model {
    let g = TestGraph("gemm_relu", seed: 8)
    let x = g.input("x", ["N", 2, 3, 3])
    let f = g.node("Flatten", "flatten", [x])
    let h = g.node("Relu", "relu", [g.dense("fc1", f, 18, 7)])
    let d = g.node("Dropout", "dropout", [h])
    let y = g.dense("fc2", d, 7, 3)
    g.output(g.node("Identity", "identity", [y]))
    return g.model()
  }

  /// A GoogLeNet-style inception block: stem conv, four branches (1x1; 1x1→3x3; 1x1→5x5;
  /// maxpool 3/1 pad 1 → 1x1), channel concat, then a 1x1 conv consumer.
  static func inception() -> Model {
    let g = TestGraph("inception", seed: 9)
    let x = g.input("x", ["N", 4, 8, 8])
    let stem = g.node("Relu", "stem_relu", [g.conv("stem", x, 4, 6, k: 3, pad: 1)])
    let b1 = g.node("Relu", "b1_relu", [g.conv("b1", stem, 6, 4, k: 1)])
    let b2r = g.node("Relu", "b2r_relu", [g.conv("b2_reduce", stem, 6, 3, k: 1)])
    let b2 = g.node("Relu", "b2_relu", [g.conv("b2", b2r, 3, 5, k: 3, pad: 1)])
    let b3r = g.node("Relu", "b3r_relu", [g.conv("b3_reduce", stem, 6, 2, k: 1)])
    let b3 = g.node("Relu", "b3_relu", [g.conv("b3", b3r, 2, 3, k: 5, pad: 2)])
    let pool = g.node("MaxPool", "b4_pool", [stem], ["kernel_shape": .ints([3, 3]), "strides": .ints([1, 1]), "pads": .ints([1, 1, 1, 1])])
    let b4 = g.node("Relu", "b4_relu", [g.conv("b4", pool, 6, 3, k: 1)])
    let cat = g.node("Concat", "concat", [b1, b2, b3, b4], ["axis": .int(1)])
    g.output(g.conv("head", cat, 15, 4, k: 1))
    return g.model()
  }

  /// Concat of the graph input itself and a conv of it: the input must be copied.
  static func concatOfInput() -> Model {
    let g = TestGraph("concat_input", seed: 10)
    let x = g.input("x", ["N", 3, 4, 4])
    let c = g.conv("conv", x, 3, 2, k: 3, pad: 1)
    let cat = g.node("Concat", "concat", [x, c], ["axis": .int(1)])
    g.output(g.node("Relu", "relu", [cat]))
    return g.model()
  }

  /// Conv → MaxPool 3/2 with ceil_mode on 8x8 (4x4 out where floor gives 3x3).
  static func ceilMaxPool() -> Model {
    let g = TestGraph("ceil_maxpool", seed: 11)
    let x = g.input("x", ["N", 2, 8, 8])
    let c = g.conv("conv", x, 2, 3, k: 3, pad: 1)
    g.output(g.node("MaxPool", "pool", [c], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)]))
    return g.model()
  }

  /// AveragePool 3/2 pad 1 both without and with ceil_mode, counting the pads or not.
  static func averagePool(countIncludePad: Int) -> Model {
    let g = TestGraph("avgpool_\(countIncludePad)", seed: 12)
    let x = g.input("x", ["N", 2, 8, 8])
    let attrs: [String: Attribute] = [
      "kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
      "count_include_pad": .int(countIncludePad),
    ]
    g.output(g.node("AveragePool", "pool_floor", [x], attrs))
    g.output(g.node("AveragePool", "pool_ceil", [x], attrs.merging(["ceil_mode": .int(1)]) { $1 }))
    return g.model()
  }

  /// Grouped conv with stride 2, a dilated grouped conv, and an even kernel with auto_pad SAME_UPPER.
  static func groupedConv() -> Model {
    let g = TestGraph("grouped_conv", seed: 13)
    let x = g.input("x", ["N", 4, 9, 9])
    let a = g.conv("conv_g2", x, 4, 6, k: 3, pad: 1, group: 2, ["strides": .ints([2, 2])])
    let b = g.conv("conv_g3", a, 6, 6, k: 3, pad: 2, group: 3, ["dilations": .ints([2, 2])])
    let c = g.conv("conv_same", b, 6, 2, k: 2, ["auto_pad": .string("SAME_UPPER")])
    g.output(g.conv("conv_same_lower", c, 2, 2, k: 2, ["auto_pad": .string("SAME_LOWER"), "strides": .ints([2, 2])]))
    return g.model()
  }

  /// LRN → GlobalAveragePool → Flatten → Gemm → Softmax.
  static func lrnSoftmax() -> Model {
    let g = TestGraph("lrn_softmax", seed: 14)
    let x = g.input("x", ["N", 5, 4, 4])
    let n = g.node("LRN", "lrn", [x], ["size": .int(3), "alpha": .float(0.01), "beta": .float(0.75), "bias": .float(1)])
    let p = g.node("GlobalAveragePool", "gap", [g.node("Relu", "relu", [n])])
    let f = g.node("Flatten", "flatten", [p])
    g.output(g.node("Softmax", "softmax", [g.dense("fc", f, 5, 4)], ["axis": .int(1)]))
    return g.model()
  }

  /// Transpose NCHW → NHWC of a conv, and a ReduceMean over the spatial axes.
  static func transposeReduce() -> Model {
    let g = TestGraph("transpose_reduce", seed: 15)
    let x = g.input("x", ["N", 2, 3, 4])
    let c = g.conv("conv", x, 2, 3, k: 1)
    g.output(g.node("Transpose", "transpose", [c], ["perm": .ints([0, 2, 3, 1])]))
    g.output(g.node("ReduceMean", "mean", [c], ["axes": .ints([2, 3]), "keepdims": .int(1)]))
    return g.model()
  }

  /// MatMul by a constant, Relu, Sum of two runtime values, Sub and Div by constants.
  static func matmulSum() -> Model {
    let g = TestGraph("matmul_sum", seed: 16)
    let x = g.input("x", ["N", 6])
    let m = g.node("MatMul", "matmul", [x, g.weight("w", [6, 4])])
    let r = g.node("Relu", "relu", [m])
    let s = g.node("Sum", "sum", [m, r])
    let d = g.node("Sub", "sub", [s, g.weight("shift", [4])])
    g.output(g.node("Div", "div", [d, g.scalar("two", 2)]))
    return g.model()
  }

  /// Every graph above, by name.
  static var all: [(String, () -> Model)] { [
    ("shape_chain", shapeChain), ("conv_bn", convBatchNorm), ("lonely_bn", lonelyBatchNorm),
    ("conv_mul_add", convMulAdd), ("gemm_bn", gemmBatchNorm), ("conv_clip", convClip),
    ("residual", residual), ("gemm_relu", gemmRelu), ("inception", inception),
    ("concat_input", concatOfInput), ("ceil_maxpool", ceilMaxPool),
    ("avgpool_0", { averagePool(countIncludePad: 0) }), ("avgpool_1", { averagePool(countIncludePad: 1) }),
    ("grouped_conv", groupedConv), ("lrn_softmax", lrnSoftmax), ("transpose_reduce", transposeReduce), ("matmul_sum", matmulSum),
  ] }
}

// MARK: - Running passes and plans

enum Compile {
  /// A context after running `passes` on `model` (shape inference first, as the pipeline does).
  static func context(_ model: Model, _ passes: [Pass], batch: Int? = nil) throws -> CompilationContext {
    let context = CompilationContext(model: model, bindings: try Pipeline.batchBindings(model.graph, batch))
    try InferShapes().run(context)
    for pass in passes { try pass.run(context) }
    return context
  }

  /// Op types of the graph's nodes in order, with the domain when not the default one.
  static func ops(_ graph: Graph) -> [String] {
    graph.nodes.map { $0.domain.isEmpty ? $0.opType : "\($0.domain).\($0.opType)" }
  }

  /// Runs a compiled plan on `inputs` with `threads` threads.
  static func run(_ output: Pipeline.Output, _ inputs: [String: FloatTensor], threads: Int) throws -> [String: FloatTensor] {
    let model = try CompiledModel(plan: output.plan, weights: output.weights)
    return try model.makeSession(threads: threads).run(inputs)
  }

  /// Random inputs for every graph input of `model`, with batch `batch`.
  static func randomInputs(_ model: Model, batch: Int, seed: UInt64) -> [String: FloatTensor] {
    var random = SeededRandom(seed: seed)
    var inputs: [String: FloatTensor] = [:]
    for input in model.graph.inputs {
      // The batch replaces a symbolic leading dim; an input without the batch keeps its shape.
      let declared = input.shape!.dims.map(\.value)
      let dims = (declared.first! == nil ? [batch] : [declared.first!!]) + declared.dropFirst().map { $0! }
      inputs[input.name] = try! FloatTensor(shape: dims, values: random.floats(dims.reduce(1, *)))
    }
    return inputs
  }
}

/// Compiles `model`, whose shapes are all fixed, and checks its outputs on 1 and 2 threads
/// against the ``ReferenceInterpreter``.
func assertFixedCompiledMatchesReference(_ model: Model, file: StaticString = #filePath, line: UInt = #line) throws {
  let compiled = try Pipeline.compile(model)
  let inputs = Compile.randomInputs(model, batch: 0, seed: 77)
  let expected = try ReferenceInterpreter.run(model, inputs: inputs)
  let one = try Compile.run(compiled, inputs, threads: 1)
  let two = try Compile.run(compiled, inputs, threads: 2)
  assertClose(one, expected, "(\(model.graph.name))", file: file, line: line)
  XCTAssertEqual(one, two, "1 and 2 threads differ (\(model.graph.name))", file: file, line: line)
}

/// Compiles `model` with a symbolic batch (run at 1 and 3) and a fixed batch 2, runs each on
/// 1 and 2 threads, and checks the outputs against the ``ReferenceInterpreter`` on the original model.
func assertCompiledMatchesReference(_ model: Model, file: StaticString = #filePath, line: UInt = #line) throws {
  let symbolic = try Pipeline.compile(model)
  let fixed = try Pipeline.compile(model, options: Pipeline.Options(batch: 2))
  XCTAssertNil(symbolic.plan.fixedBatch, file: file, line: line)
  XCTAssertEqual(fixed.plan.fixedBatch, 2, file: file, line: line)
  for (compiled, batch) in [(symbolic, 1), (symbolic, 3), (fixed, 2)] {
    let inputs = Compile.randomInputs(model, batch: batch, seed: UInt64(batch) * 77)
    let expected = try ReferenceInterpreter.run(model, inputs: inputs)
    let one = try Compile.run(compiled, inputs, threads: 1)
    let two = try Compile.run(compiled, inputs, threads: 2)
    let what = "(\(model.graph.name), batch \(batch)\(compiled.plan.fixedBatch == nil ? "" : " fixed"))"
    assertClose(one, expected, what, file: file, line: line)
    XCTAssertEqual(one, two, "1 and 2 threads differ \(what)", file: file, line: line)
  }
}
