import Foundation
import GraphRuntime
import XCTest

/// Input files are read once, straight into the tensor, after their size is checked against ``Limits``.
final class LimitsIOTests: XCTestCase {
  var directory: String!

  override func setUpWithError() throws {
    directory = NSTemporaryDirectory() + "graphruntime-limits-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// A version-2 `.npy` file: magic, 4-byte header length, the header padded to `headerBytes`, then `payload`.
  func npy(_ dict: String, headerBytes: Int? = nil, payload: [UInt8]) -> [UInt8] {
    var header = dict
    let length = headerBytes ?? ((12 + header.utf8.count + 1 + 63) / 64 * 64 - 12)
    header += String(repeating: " ", count: length - header.utf8.count - 1) + "\n"
    let n = header.utf8.count
    return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), 0]
      + Array(header.utf8) + payload
  }

  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = directory + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  func testRawInputOverTheTensorLimitIsRefusedBeforeReading() throws {
    let values: [Float] = (0..<300).map(Float.init)
    let path = directory + "/x.bin"
    try RawFloat32.write(values, path: path)
    XCTAssertEqual(try RawFloat32.read(path: path, limits: Limits(memory: 2400)), values)
    XCTAssertThrowsError(try RawFloat32.read(path: path, limits: Limits(memory: 2000))) { error in
      guard case .limit? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertEqual("\(error)", "\(path): 300 float32 values needs 1200 bytes, over the max tensor bytes limit of 1000 bytes (raise it with --max-memory SIZE, or set Limits in code)")
    }
  }

  func testNPYOverTheTensorLimitIsRefused() throws {
    // int8 values: 600 bytes on disk, 2400 bytes once converted to float32 (what is checked).
    let path = try write(npy("{'descr': '|i1', 'fortran_order': False, 'shape': (600,), }", payload: [UInt8](repeating: 7, count: 600)), "i8.npy")
    XCTAssertEqual(try NPY.read(path: path, limits: Limits(memory: 4800)).data, [Float](repeating: 7, count: 600))
    XCTAssertThrowsError(try NPY.read(path: path, limits: Limits(memory: 4000))) { error in
      XCTAssertTrue("\(error)".hasPrefix("\(path): 600 float32 values needs 2400 bytes, over the max tensor bytes limit of 2000 bytes"), "\(error)")
    }
  }

  /// Data converted through the chunked path equals the whole-file decoder's, across chunk borders.
  func testConvertedNPYReadsLikeDecode() throws {
    let count = 300_000  // float64: 2.4 MB, three chunks of 1 MiB
    let values = (0..<count).map { Double($0) * 0.5 - 1000 }
    let payload = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    let bytes = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (\(count),), }", payload: payload)
    let path = try write(bytes, "f8.npy")
    let read = try NPY.read(path: path)
    XCTAssertEqual(read, try NPY.decode(bytes))
    XCTAssertEqual(read.data.last, Float(values.last!))
  }

  /// A header of 70 KB (real bytes, not only a declared length) is refused before it is parsed.
  func testHugeNPYHeaderIsRefused() throws {
    let path = try write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", headerBytes: 70_000, payload: [0, 0, 0, 0]), "header.npy")
    XCTAssertThrowsError(try NPY.read(path: path)) { error in
      XCTAssertEqual("\(error)", "\(path): .npy header length 70000 is over the 65536-byte limit for headers")
    }
  }

  func testFIFOIsRefusedWithoutBlocking() throws {
    let path = directory + "/fifo"
    XCTAssertEqual(mkfifo(path, 0o600), 0)
    XCTAssertThrowsError(try RawFloat32.read(path: path)) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
  }
}

/// `Session.run(batch:filling:)`, how graphrun reads input files straight into the arena, gives
/// what a run on the same values as tensors gives.
final class SessionFillingTests: XCTestCase {
  func testFillingTheArenaMatchesRunningTensors() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let model = try CompiledModel(plan: plan, weights: weights)
    let session = try model.makeSession(threads: 2)
    for batch in [1, 3] {
      var feeds: [String: FloatTensor] = [:]
      for (i, input) in model.inputs.enumerated() {
        let count = batch * input.itemShape.reduce(1, *)
        feeds[input.name] = try FloatTensor(shape: [batch] + input.itemShape, values: (0..<count).map { Float(($0 * 7 + i) % 11) - 5 })
      }
      let expected = try session.runTyped(feeds)
      let filled = try session.run(batch: batch) { i, values in
        let source = feeds[model.inputs[i].name]!.values
        XCTAssertEqual(values.count, source.count)
        _ = values.initialize(from: source)
      }
      XCTAssertEqual(filled, expected, "batch \(batch)")
    }
  }
}
