import Foundation
import TestSupport
import GraphIR
import XCTest

/// Broken files must become GraphErrors naming the file, never traps.
final class ReaderBadInputTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("graphc-reader-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: folder)
  }

  static let lenet = FixturePaths.fixtures.appendingPathComponent("digits/lenet-digits.onnx").path

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func write(_ file: String, _ bytes: Data) throws {
    try bytes.write(to: URL(fileURLWithPath: file))
  }

  /// Reads `file` expecting a GraphError that mentions it; returns the message.
  @discardableResult
  func expectError(_ file: String, loadExternal: Bool = true, line: UInt = #line) -> String {
    do {
      _ = try ONNXReader.read(contentsOf: file, options: .init(loadExternalData: loadExternal))
      XCTFail("reading \(file) should fail", line: line)
    } catch let e as GraphError {
      XCTAssertTrue(e.description.contains(file), "'\(e)' does not name the file", line: line)
      return e.description
    } catch {
      XCTFail("expected GraphError, got \(error)", line: line)
    }
    return ""
  }

  /// A model with one 64x64 float initializer, large enough to go to external data.
  func modelWithWeight() -> Model {
    let b = GraphBuilder(name: "ext")
    let x = b.input("x", [1, 64])
    let w = b.constant("w", Tensor(floats: [Float](repeating: 0.5, count: 64 * 64), dims: [64, 64]))
    b.node("MatMul", name: "mm", inputs: [x, w])
    b.output("mm")
    return Model(graph: b.build())
  }

  /// Every element type the pinned onnx 1.22 defines (up to INT2, 26) is named in messages; numbers past them are not types.
  func testElementTypesAreNamedThroughONNX122() {
    XCTAssertEqual(DataType.describe(raw: 10), "float16 (10)")
    XCTAssertEqual(DataType.describe(raw: 23), "float4e2m1 (23)")
    XCTAssertEqual(DataType.describe(raw: 24), "float8e8m0 (24)")
    XCTAssertEqual(DataType.describe(raw: 25), "uint2 (25)")
    XCTAssertEqual(DataType.describe(raw: 26), "int2 (26)")
    XCTAssertEqual(DataType.describe(raw: 27), "number 27 (not an ONNX element type)")
    XCTAssertTrue(DataType.unsupported(raw: 26).hasPrefix("element type int2 (26) is not supported"), DataType.unsupported(raw: 26))
  }

  func testEmptyFile() throws {
    try write(path("empty.onnx"), Data())
    XCTAssertTrue(expectError(path("empty.onnx")).contains("empty"))
  }

  func testGarbageBytes() throws {
    try write(path("garbage.onnx"), Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }))
    expectError(path("garbage.onnx"))
  }

  /// Subgraphs nested `levels` deep (graph → node → attribute g → graph ...), as raw protobuf.
  static func nestedModel(levels: Int) -> Data {
    func field(_ number: UInt8, _ body: [UInt8]) -> [UInt8] {
      var out = [number << 3 | 2]
      var n = body.count
      repeat { out.append(UInt8(n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>= 7 } while n > 0
      return out + body
    }
    var graph: [UInt8] = []
    for _ in 0..<levels {
      let attribute = field(1, Array("body".utf8)) + field(6, graph)  // name, g
      let node = field(5, attribute)  // attribute
      graph = field(1, node)  // node
    }
    return Data(field(7, graph))  // ModelProto.graph
  }

  /// A few kilobytes nested thousands of levels deep is refused before libprotobuf-c
  /// (which recurses without a limit) can overflow the stack.
  func testDeeplyNestedSubgraphsAreRefused() throws {
    let deep = Self.nestedModel(levels: 3000)
    XCTAssertLessThan(deep.count, 100_000)
    try write(path("deep.onnx"), deep)
    XCTAssertTrue(expectError(path("deep.onnx")).contains("nest more than"))
    // A shallow nesting passes the check (and is then judged as a model).
    try write(path("shallow.onnx"), Self.nestedModel(levels: 3))
    XCTAssertFalse(expectError(path("shallow.onnx")).contains("nest more than"))
  }

  func testTruncatedRealFile() throws {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.lenet))
    try write(path("half.onnx"), bytes.prefix(bytes.count / 2))
    expectError(path("half.onnx"))
  }

  func testMissingFile() {
    expectError(path("does-not-exist.onnx"))
  }

  func testExternalDataRoundTripsAndCanBeSkipped() throws {
    try ONNXWriter.write(modelWithWeight(), to: path("ok.onnx"), externalData: "ok.weights")
    let full = try ONNXReader.read(contentsOf: path("ok.onnx"))
    XCTAssertEqual(full.graph.initializers["w"]?.count, 64 * 64)
    try FileManager.default.removeItem(atPath: path("ok.weights"))
    let skipped = try ONNXReader.read(contentsOf: path("ok.onnx"), options: .init(loadExternalData: false))
    XCTAssertEqual(skipped.graph.initializers["w"]?.dims, [64, 64])
    XCTAssertEqual(skipped.graph.initializers["w"]?.isLoaded, false)
  }

  func testMissingExternalDataFile() throws {
    try ONNXWriter.write(modelWithWeight(), to: path("m.onnx"), externalData: "m.weights")
    try FileManager.default.removeItem(atPath: path("m.weights"))
    XCTAssertTrue(expectError(path("m.onnx")).contains("cannot read external data file"))
  }

  func testShortExternalDataFile() throws {
    try ONNXWriter.write(modelWithWeight(), to: path("s.onnx"), externalData: "s.weights")
    let weights = try Data(contentsOf: URL(fileURLWithPath: path("s.weights")))
    try write(path("s.weights"), weights.prefix(100))
    XCTAssertTrue(expectError(path("s.onnx")).contains("is 100 bytes"))
  }

  func testExternalLocationEscapingTheFolder() throws {
    let out = try ONNXWriter.serialize(modelWithWeight(), externalData: "../x")
    try ONNXWriter.writeAtomically(out.model, to: path("up.onnx"))
    XCTAssertTrue(expectError(path("up.onnx")).contains("escapes the model's folder"))
  }

  func testSymbolicLinkOutOfTheFolder() throws {
    let outside = FileManager.default.temporaryDirectory.appendingPathComponent("outside-\(UUID().uuidString).weights").path
    let out = try ONNXWriter.serialize(modelWithWeight(), externalData: "link.weights")
    try ONNXWriter.writeAtomically(out.weights ?? [], to: outside)
    defer { try? FileManager.default.removeItem(atPath: outside) }
    try FileManager.default.createSymbolicLink(atPath: path("link.weights"), withDestinationPath: outside)
    try ONNXWriter.writeAtomically(out.model, to: path("link.onnx"))
    XCTAssertTrue(expectError(path("link.onnx")).contains("leads out of the model's folder"))
  }

  func testAbsoluteExternalLocation() throws {
    let out = try ONNXWriter.serialize(modelWithWeight(), externalData: path("abs.weights"))
    try ONNXWriter.writeAtomically(out.weights ?? [], to: path("abs.weights"))
    try ONNXWriter.writeAtomically(out.model, to: path("abs.onnx"))
    XCTAssertTrue(expectError(path("abs.onnx")).contains("is absolute"))
  }

  func testNegativeDimInValueInfo() throws {
    let b = GraphBuilder(name: "neg")
    let x = b.input("x", [1, 4])
    b.node("Relu", name: "relu", inputs: [x])
    b.output("relu", shape: [1, .fixed(-4)])
    try ONNXWriter.write(Model(graph: b.build()), to: path("neg.onnx"))
    XCTAssertTrue(expectError(path("neg.onnx"), loadExternal: false).contains("value 'relu': dimension 1 is -4"))
  }
}
