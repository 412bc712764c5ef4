import Foundation
import GraphIR
import XCTest

/// Runs the built `graphc` binary the way a user would.
final class ShapesCommandTests: XCTestCase {
  static let lenet = CLI.lenet

  func run(_ arguments: [String]) throws -> CLI.Result { try CLI.run("graphc", arguments) }

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc"), "graphc not built at \(CLI.binary("graphc"))")
  }

  func testTableShowsSymbolicShapes() throws {
    let r = try run(["shapes", Self.lenet])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("batchx1x28x28"))
    XCTAssertTrue(r.stdout.contains("batchx6x28x28"))
    XCTAssertTrue(r.stdout.contains("batchx400"))
    XCTAssertTrue(r.stdout.contains("batchx10"))
    // Inputs come before node outputs.
    let lines = r.stdout.split(separator: "\n")
    let inputLine = lines.firstIndex { $0.contains("(input)") }
    let convLine = lines.firstIndex { $0.contains("Conv ") }
    XCTAssertNotNil(inputLine)
    XCTAssertLessThan(inputLine ?? .max, convLine ?? .min)
  }

  func testJSONHasTheDocumentedKeys() throws {
    let r = try run(["shapes", Self.lenet, "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(Set(json.keys), ["graph", "inputs", "values", "outputs"])
    let inputs = try XCTUnwrap(json["inputs"] as? [[String: Any]])
    XCTAssertEqual(inputs.first?["name"] as? String, "image")
    let shape = try XCTUnwrap(inputs.first?["shape"] as? [Any])
    XCTAssertEqual(shape.first as? String, "batch")
    XCTAssertEqual(shape.dropFirst().compactMap { $0 as? Int }, [1, 28, 28])
    let values = try XCTUnwrap(json["values"] as? [[String: Any]])
    for v in values {
      for key in ["name", "producer", "op", "shape"] { XCTAssertNotNil(v[key], "value lacks \(key)") }
    }
    let conv = try XCTUnwrap(values.first { $0["op"] as? String == "Conv" })
    XCTAssertEqual(conv["producer"] as? String, "/conv1/Conv")
    XCTAssertTrue(values.first { $0["name"] as? String == "image" }?["producer"] is NSNull)
    let outputs = try XCTUnwrap(json["outputs"] as? [[String: Any]])
    XCTAssertEqual(outputs.first?["name"] as? String, "logits")
  }

  func testBatchMakesShapesConcrete() throws {
    let r = try run(["shapes", Self.lenet, "--batch", "4", "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let outputs = try XCTUnwrap(json["outputs"] as? [[String: Any]])
    XCTAssertEqual(outputs.first?["shape"] as? [Int], [4, 10])
    XCTAssertFalse(r.stdout.contains("\"batch\""))
    XCTAssertTrue(try run(["shapes", Self.lenet, "--batch", "4"]).stdout.contains("4x6x28x28"))
  }

  func testBadBatchIsAClearError() throws {
    for value in ["0", "-3"] {
      let r = try run(["shapes", Self.lenet, "--batch", value])
      XCTAssertEqual(r.status, 1)
      XCTAssertTrue(r.stderr.contains("--batch must be a positive integer"), r.stderr)
    }
  }

  func testBadFilesExitNonZeroNamingTheFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graphc-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.lenet))
    let files: [(String, Data?)] = [
      ("empty.onnx", Data()), ("half.onnx", bytes.prefix(bytes.count / 2)),
      ("garbage.onnx", Data(repeating: 0xFF, count: 999)), ("missing.onnx", nil),
    ]
    for (name, contents) in files {
      let path = folder.appendingPathComponent(name).path
      if let contents { try contents.write(to: URL(fileURLWithPath: path)) }
      let r = try run(["shapes", path])
      XCTAssertEqual(r.status, 1, name)
      XCTAssertTrue(r.stderr.hasPrefix("error: \(path)"), "\(name): \(r.stderr)")
      XCTAssertTrue(r.stdout.isEmpty)
    }
  }

  func testShapeErrorNamesFileAndNode() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graphc-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", ["N", 32, 56, 56])
    let w = b.constant("w", Tensor(floats: [Float](repeating: 0, count: 128 * 64 * 9), dims: [128, 64, 3, 3]))
    b.node("Conv", name: "conv2", inputs: [x, w])
    b.output("conv2")
    let path = folder.appendingPathComponent("bad.onnx").path
    try ONNXWriter.write(Model(graph: b.build()), to: path, externalData: "bad.weights")
    let r = try run(["shapes", path])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(
      r.stderr,
      "error: \(path): node 'conv2' (Conv): weight expects 64 input channels (weight 128x64x3x3), input has 32 (Nx32x56x56)\n")
    // Weights are never read: deleting them changes nothing.
    try FileManager.default.removeItem(atPath: folder.appendingPathComponent("bad.weights").path)
    XCTAssertEqual(try run(["shapes", path]).stderr, r.stderr)
  }

  /// Messages name element types and shapes as a user knows them: no enum numbers, no internal symbols.
  func testMessagesNameTypesAndShapesPlainly() throws {
    let folder = try CLI.temporaryDirectory("graphc-messages")
    defer { try? FileManager.default.removeItem(at: folder) }
    let half = GraphBuilder(name: "half")
    let h = half.input("x", ["N", 4], type: .float)
    half.output(half.node("Relu", name: "relu", inputs: [h]))
    var model = Model(graph: half.build())
    model.graph.inputs[0].elementType = .float
    let path = folder.appendingPathComponent("half.onnx").path
    try ONNXWriter.write(model, to: path)
    // Patch elem_type 1 (float) to 10 (float16) in the input's type: field 1 of TypeProto.Tensor, varint 1.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let tensorType: [UInt8] = [0x0A]  // TypeProto.tensor_type, length-delimited
    let index = try XCTUnwrap((0..<(bytes.count - 3)).first { bytes[$0] == tensorType[0] && bytes[$0 + 2] == 0x08 && bytes[$0 + 3] == 0x01 })
    bytes[index + 3] = 10
    try bytes.write(to: URL(fileURLWithPath: path))
    for command in ["shapes", "compile"] {
      let r = try run(command == "shapes" ? ["shapes", path] : ["compile", path, "-o", folder.appendingPathComponent("h.plan").path])
      XCTAssertEqual(r.status, 1)
      XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains("element type float16 (10) is not supported"), r.stderr)
    }

    let b = GraphBuilder(name: "spatial")
    let x = b.input("x", ["N", 1, "H", "W"])
    let w = b.constant("w", Tensor(floats: [Float](repeating: 1, count: 8 * 9), dims: [8, 1, 3, 3]))
    b.output(b.node("Conv", name: "conv", inputs: [x, w]))
    let spatial = folder.appendingPathComponent("spatial.onnx").path
    try ONNXWriter.write(Model(graph: b.build()), to: spatial)
    let table = try run(["shapes", spatial])
    XCTAssertTrue(table.stdout.contains("Nx8xH-2xW-2"), table.stdout)
    let r = try run(["compile", spatial, "-o", folder.appendingPathComponent("s.plan").path])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("value 'x': shape [N, 1, H, W]: dims 2, 3 (H, W) would be known only at run time"), r.stderr)
    XCTAssertTrue(r.stderr.contains("export the model with a fixed input size"), r.stderr)
  }

  func testPrintAfterSaysWhichRunOfAPass() throws {
    let folder = try CLI.temporaryDirectory("graphc-print-after")
    defer { try? FileManager.default.removeItem(at: folder) }
    let plan = folder.appendingPathComponent("l.plan").path
    var r = try run(["compile", Self.lenet, "-o", plan, "--print-after", "infer-shapes"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("// after") },
                   ["// after infer-shapes (run 1 of 2)", "// after infer-shapes (run 2 of 2)"])
    r = try run(["compile", Self.lenet, "-o", plan, "--print-after", "fuse"])
    XCTAssertEqual(r.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("// after") }, ["// after fuse"])
  }
}
