import GraphIR
import GraphPlan
import GraphRuntime
import TestSupport
import XCTest

@testable import GraphCompiler

/// Opsets 1 to 5, as the ONNX model zoo's opset-3 files of the classic networks wrote them: the
/// forms that differ from later opsets give the same values as their later twins.
final class OldOpsetTests: XCTestCase {
  func fixture(_ name: String) -> String { FixturePaths.fixtures.appendingPathComponent("legacy/\(name)").path }

  func run(_ model: Model, _ inputs: [String: FloatTensor]) throws -> [String: FloatTensor] {
    try Compile.run(try Pipeline.compile(model), inputs, threads: 1)
  }

  func message(_ model: Model) -> String {
    do { _ = try Pipeline.compile(model); return "no error" } catch { return "\(error)" }
  }

  /// Tests/Fixtures/legacy/make_opset3.py: `consumed_inputs`, `is_test`, Reshape's shape
  /// attribute, Concat without an axis, Gemm's `broadcast`, Cast to "FLOAT", checked by onnx's
  /// checker at opset 3; onnxruntime ran its opset-13 twin.
  func testModelZooOpset3FormsMatchOnnxRuntime() throws {
    let model = try ONNXReader.read(contentsOf: fixture("opset3-zoo.onnx"))
    XCTAssertEqual(model.opsetVersion, 3)
    let output = try Pipeline.compile(model)
    XCTAssertEqual(output.report.batchnormFolded, 1)
    let input = try NPY.read(path: fixture("opset3-input.npy"))
    let expected = try NPY.read(path: fixture("opset3-output-onnxruntime.npy"))
    let y = try XCTUnwrap(Compile.run(output, ["x": try FloatTensor(shape: input.shape, values: input.data)], threads: 2)["y"])
    XCTAssertEqual(y.shape, expected.shape)
    let diff = zip(y.values, expected.data).map { abs($0 - $1) }.max() ?? .infinity
    XCTAssertLessThanOrEqual(diff, 1e-5 * (expected.data.map(abs).max() ?? 1))
  }

  /// Opset 1's Split sizes as an input, Pad's `paddings`, LpPool's float `p`, and Cast's type
  /// name give exactly what the opset-13 forms give.
  func testOpset1FormsGiveTheirLaterTwinsValues() throws {
    func model(legacy: Bool) -> Model {
      let g = TestGraph("opset1")
      let x = g.input("x", [1, 4, 5, 5])
      let padded = g.node("Pad", "pad", legacy ? [x] : [x, g.ints("pads", [0, 0, 1, 2, 0, 0, 2, 1])],
                          legacy ? ["paddings": .ints([0, 0, 1, 2, 0, 0, 2, 1]), "mode": .string("edge")] : ["mode": .string("edge")])
      let pooled = g.node("LpPool", "lp", [padded], ["kernel_shape": .ints([2, 2]), "p": legacy ? .float(3) : .int(3)])
      // Split-1's sizes input is a float tensor (type T); opset 13's is int64.
      let sizes = legacy ? g.builder.constant("sizes", Tensor(floats: [1, 3], dims: [2])) : g.ints("sizes", [1, 3])
      g.builder.node("Split", name: "split", inputs: [pooled, sizes], outputs: ["a", "b"], attributes: ["axis": .int(1)])
      let sum = g.node("Add", "add", ["a", g.node("ReduceMax", "max", ["b"], ["axes": .ints([1]), "keepdims": .int(1)])])
      g.output(g.node("Cast", "cast", [sum], ["to": legacy ? .string("FLOAT") : .int(1)]))
      return g.model(opset: legacy ? 1 : 13)
    }
    let x = try FloatTensor(shape: [1, 4, 5, 5], values: (0..<100).map { Float(($0 * 37) % 23) / 7 - 1.5 })
    let old = try XCTUnwrap(run(model(legacy: true), ["x": x]).values.first)
    let new = try XCTUnwrap(run(model(legacy: false), ["x": x]).values.first)
    XCTAssertEqual(old.shape, [1, 1, 7, 7])
    XCTAssertEqual(old.shape, new.shape)
    XCTAssertEqual(old.values, new.values)
  }

  /// Concat without an axis before opset 4 joins along axis 1 wherever the batch sits: channels of
  /// `[N, C, H, W]`, and the middle axis of a `[3, 4, N]` transpose (which the batch is moved out of).
  func testConcatDefaultAxisIsOneOnEveryPath() throws {
    let g = TestGraph("concat1")
    let x = g.input("x", ["N", 3, 4])
    let images = g.node("Concat", "channels", [g.node("Unsqueeze", "four", [x], ["axes": .ints([3])]), g.node("Relu", "r", [g.node("Unsqueeze", "four2", [x], ["axes": .ints([3])])])])
    g.output(images)  // [N, 6, 4, 1]
    let t = g.node("Transpose", "t", [x], ["perm": .ints([1, 2, 0])])  // [3, 4, N]
    let joined = g.node("Concat", "middle", [t, g.node("Neg", "neg", [t])])  // [3, 8, N]
    g.output(g.node("Transpose", "back", [joined], ["perm": .ints([2, 0, 1])]))  // [N, 3, 8]
    let model = g.model(opset: 3)
    try assertCompiledMatchesReference(model)
    let y = try run(model, ["x": try FloatTensor(shape: [1, 3, 4], values: (0..<12).map(Float.init))])
    XCTAssertEqual(y["channels"]?.shape, [1, 6, 4, 1])
    XCTAssertEqual(y["back"]?.shape, [1, 3, 8])
    XCTAssertEqual(Array(y["back"]!.values.prefix(8)), [0, 1, 2, 3, -0, -1, -2, -3])
  }

  /// What still differs is refused by name: Reshape before opset 5 needs its attribute, Tile
  /// before 6 and Upsample before 7 had other inputs and attributes, and opset 0 is no opset.
  func testFormsThatDifferAreRefusedByName() {
    let reshape = TestGraph("reshape")
    reshape.output(reshape.node("Reshape", "flat", [reshape.input("x", [1, 2, 3])]))
    XCTAssertTrue(message(reshape.model(opset: 4)).contains("attribute shape is required before opset 5"), message(reshape.model(opset: 4)))
    let tile = TestGraph("tile")
    tile.output(tile.node("Tile", "tile", [tile.input("x", [1, 2]), tile.ints("tiles", [2]), tile.ints("axis", [1])]))
    XCTAssertTrue(message(tile.model(opset: 5)).contains("Tile before opset 6"), message(tile.model(opset: 5)))
    let upsample = TestGraph("upsample")
    upsample.output(upsample.node("Upsample", "up", [upsample.input("x", [1, 1, 2, 2])], ["height_scale": .float(2), "width_scale": .float(2)]))
    XCTAssertTrue(message(upsample.model(opset: 6)).contains("Upsample before opset 7"), message(upsample.model(opset: 6)))
    // Split-1: no default axis; float sizes past Int64's range or not whole are an error, not a trap.
    func split(_ sizes: [Float], _ attributes: [String: Attribute]) -> Model {
      let g = TestGraph("split")
      let sizes = g.builder.constant("sizes", Tensor(floats: sizes, dims: [sizes.count]))
      g.builder.node("Split", name: "split", inputs: [g.input("x", [1, 4]), sizes], outputs: ["a", "b"], attributes: attributes)
      g.output("a")
      g.output("b")
      return g.model(opset: 1)
    }
    XCTAssertTrue(message(split([1, 3], [:])).contains("attribute axis is required in opset 1"), message(split([1, 3], [:])))
    XCTAssertTrue(message(split([1e30, -1e30], ["axis": .int(1)])).contains("split sizes"), message(split([1e30, -1e30], ["axis": .int(1)])))
    XCTAssertEqual(message(split([1, 3], ["axis": .int(1)])), "no error")
    // Sizes that are not whole numbers are refused, not truncated (1.5 + 2.5 would pass as 1 + 2 = 3 of 4).
    let halves = message(split([1.5, 2.5], ["axis": .int(1)]))
    XCTAssertTrue(halves.contains("holds 1.5, not a whole number") && halves.contains("'sizes'"), halves)
    let relu = TestGraph("relu")
    relu.output(relu.node("Relu", "relu", [relu.input("x", [1, 2])], ["consumed_inputs": .ints([0])]))
    XCTAssertEqual(message(relu.model(opset: 5)), "no error")
    XCTAssertTrue(message(relu.model(opset: 6)).contains("attribute 'consumed_inputs'"), message(relu.model(opset: 6)))
    XCTAssertTrue(message(relu.model(opset: 0)).contains("opset version 0 is not supported (supported: 1...27)"))
  }
}
