import Foundation
import GraphIR
import GraphPlan
import XCTest

/// Sizes a model declares are checked against ``Limits`` before anything is decoded or read.
final class ReaderLimitsTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("graphc-limits-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: folder)
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  // MARK: Raw protobuf, so a file can declare what no writer would write

  static func varint(_ value: UInt64) -> [UInt8] {
    var v = value, out: [UInt8] = []
    repeat { out.append(UInt8(v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>= 7 } while v > 0
    return out
  }

  static func field(_ number: UInt64, _ body: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(body.count)) + body }
  static func field(_ number: UInt64, varint value: UInt64) -> [UInt8] { varint(number << 3) + varint(value) }
  static func field(_ number: UInt64, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }

  /// A model whose one float initializer `w` of `dims` lives in external data `location`, `length` bytes.
  static func externalModel(dims: [UInt64], location: String, length: UInt64) -> Data {
    func entry(_ key: String, _ value: String) -> [UInt8] { field(13, field(1, key) + field(2, value)) }
    let tensor = dims.flatMap { field(1, varint: $0) } + field(2, varint: 1) + field(8, "w")
      + entry("location", location) + entry("length", String(length)) + field(14, varint: 1)
    let graph = field(2, "g") + field(5, tensor)
    return Data(field(1, varint: 8) + field(8, field(2, varint: 17)) + field(7, graph))
  }

  func read(_ file: String, limits: Limits) throws -> Model {
    try ONNXReader.read(contentsOf: file, options: .init(limits: limits))
  }

  /// A 200-byte model declaring 16 GiB (and 3 GiB) of external data is refused by the tensor
  /// limit before the weights file is even looked at (here it does not exist).
  func testHugeExternalDataIsRefusedUnread() throws {
    let cases: [(dims: [UInt64], memory: Int)] = [([4, 1 << 30], 16 << 30), ([3, 1 << 28], 1 << 30)]
    for (dims, memory) in cases {
      let bytes = dims.reduce(4, *)
      let model = Self.externalModel(dims: dims, location: "absent.weights", length: bytes)
      XCTAssertLessThan(model.count, 200)
      try model.write(to: URL(fileURLWithPath: path("big.onnx")))
      XCTAssertThrowsError(try read(path("big.onnx"), limits: Limits(memory: memory))) { error in
        let text = "\(error)"
        XCTAssertTrue(text.contains("big.onnx") && text.contains("initializer 'w'"), text)
        XCTAssertTrue(text.contains("tensor [\(dims.map(String.init).joined(separator: ", "))] of float32 (external data) needs \(bytes) bytes"), text)
        XCTAssertTrue(text.contains("over the max tensor bytes limit of \(memory / 2) bytes"), text)
        XCTAssertFalse(text.contains("absent.weights"), "the weights file must not be opened: \(text)")
      }
    }
  }

  /// A model made of tensors that each fit but together do not.
  func testTotalWeightsAreLimited() throws {
    let b = GraphBuilder(name: "weights")
    var x = b.input("x", [1, 300])
    for i in 0..<3 {
      x = b.node("Add", name: "add\(i)", inputs: [x, b.constant("w\(i)", Tensor(floats: [Float](repeating: 1, count: 300), dims: [1, 300]))])
    }
    b.output(x)
    let bytes = Data(try ONNXWriter.serialize(Model(graph: b.build())).model)
    var limits = Limits(memory: 1 << 20)
    limits.maxWeightBytes = 2400  // two tensors of 1200 bytes fit, the third does not
    XCTAssertThrowsError(try ONNXReader.read(bytes: bytes, baseDirectory: nil, options: .init(limits: limits))) { error in
      XCTAssertTrue("\(error)".contains("the model's tensors so far (tensor [1, 300] of float32 included) needs 3600 bytes, over the max weight bytes limit of 2400 bytes"), "\(error)")
    }
    limits.maxWeightBytes = 3600
    XCTAssertEqual(try ONNXReader.read(bytes: bytes, baseDirectory: nil, options: .init(limits: limits)).graph.initializers.count, 3)
  }

  func testNodeCountAndNestingAreLimited() throws {
    let b = GraphBuilder(name: "chain")
    var x = b.input("x", [1, 4])
    for i in 0..<3 { x = b.node("Relu", name: "relu\(i)", inputs: [x]) }
    b.output(x)
    let bytes = Data(try ONNXWriter.serialize(Model(graph: b.build())).model)
    var limits = Limits.machine
    limits.maxNodes = 2
    XCTAssertThrowsError(try ONNXReader.read(bytes: bytes, baseDirectory: nil, options: .init(limits: limits))) { error in
      XCTAssertTrue("\(error)".contains("the model's node count is 3, over the max nodes limit of 2"), "\(error)")
    }
    limits.maxNestingDepth = 5
    XCTAssertThrowsError(try ONNXReader.read(bytes: ReaderBadInputTests.nestedModel(levels: 8), baseDirectory: nil, options: .init(limits: limits))) { error in
      XCTAssertTrue("\(error)".contains("nest more than 5 levels deep"), "\(error)")
    }
  }
}
