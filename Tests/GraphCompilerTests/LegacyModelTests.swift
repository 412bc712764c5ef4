import GraphIR
import GraphRuntime
import TestSupport
import XCTest

@testable import GraphCompiler

/// An IR version 3 / opset 8 file as old exporters wrote it (see Tests/Fixtures/legacy/make_legacy.py):
/// initializers also listed as graph inputs, typed tensor fields, a Constant node, Dropout's `ratio`.
final class LegacyModelTests: XCTestCase {
  func fixture(_ name: String) -> String { FixturePaths.fixtures.appendingPathComponent("legacy/\(name)").path }

  func testReadsInitializersListedAsInputsAsConstants() throws {
    let model = try ONNXReader.read(contentsOf: fixture("legacy-ir3.onnx"))
    XCTAssertEqual(model.irVersion, 3)
    XCTAssertEqual(model.opsetVersion, 8)
    XCTAssertEqual(model.graph.inputs.map(\.name), ["x"], "weights listed as inputs are constants, not runtime inputs")
    XCTAssertEqual(model.graph.initializers["W"]?.dims, [4, 2, 3, 3])
    XCTAssertEqual(model.graph.initializers["W"]?.count, 72, "float_data decoded")
  }

  func testCompiledMatchesOnnxRuntime() throws {
    let model = try ONNXReader.read(contentsOf: fixture("legacy-ir3.onnx"))
    let output = try Pipeline.compile(model)
    XCTAssertEqual(output.report.batchnormFolded, 1)
    let input = try NPY.read(path: fixture("legacy-input.npy"))
    let expected = try NPY.read(path: fixture("legacy-output-onnxruntime.npy"))
    let session = try CompiledModel(plan: output.plan, weights: output.weights).makeSession(threads: 2)
    let y = try XCTUnwrap(session.run(["x": try FloatTensor(shape: input.shape, values: input.data)])["y"])
    XCTAssertEqual(y.shape, expected.shape)
    let diff = zip(y.values, expected.data).map { abs($0 - $1) }.max() ?? .infinity
    XCTAssertLessThanOrEqual(diff, 1e-5 * (expected.data.map(abs).max() ?? 1))
  }
}
