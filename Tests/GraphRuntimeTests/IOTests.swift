import Foundation
import TestSupport
import XCTest
@testable import GraphRuntime

final class IOTests: XCTestCase {
  var directory: String!

  override func setUpWithError() throws {
    directory = NSTemporaryDirectory() + "graphruntime-io-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// A version 1.0 header (padded to 64 bytes) followed by `payload`.
  func npyBytes(_ dict: String, payload: [UInt8], major: UInt8 = 1) -> [UInt8] {
    var header = dict
    let prefix = major == 1 ? 10 : 12
    header += String(repeating: " ", count: (64 - (prefix + header.utf8.count + 1) % 64) % 64) + "\n"
    let n = header.utf8.count
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
    bytes += major == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8), 0, 0]
    return bytes + Array(header.utf8) + payload
  }

  func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
  }

  func assertError(_ bytes: [UInt8], contains text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try NPY.decode(bytes), file: file, line: line) { error in
      let message = (error as? RuntimeError)?.message ?? "\(error)"
      XCTAssertTrue(message.contains(text), "'\(message)' lacks '\(text)'", file: file, line: line)
    }
  }

  func testRoundTripThroughFile() throws {
    let path = directory + "/a.npy"
    for shape in [[2, 3], [5], [], [1, 0, 4], [2, 1, 3, 2]] {
      let count = shape.reduce(1, *)
      let array = try NPYArray(shape: shape, data: (0..<count).map { Float($0) * 0.5 - 1 })
      try NPY.write(array, path: path)
      XCTAssertEqual(try NPY.read(path: path), array)
    }
    // The header is padded so the data is 64-byte aligned.
    let bytes = NPY.encode(try NPYArray(shape: [3], data: [1, 2, 3]))
    XCTAssertEqual((bytes.count - 12) % 64, 0)
  }

  func testReadsNumPyWrittenFixtures() throws {
    let fixtures = FixturePaths.fixtures.appendingPathComponent("digits").path
    let labels = try NPY.read(path: fixtures + "/digits-test-labels.npy")
    XCTAssertEqual(labels.sourceType, "<i8")
    XCTAssertEqual(labels.shape, [360])
    XCTAssertEqual(Array(labels.data.prefix(5)), [7, 6, 3, 7, 7])
    let images = try NPY.read(path: fixtures + "/digits-test-images.npy")
    XCTAssertEqual(images.shape, [360, 1, 28, 28])
    XCTAssertEqual(Array(images.data.prefix(3)), [-1, -1, -1])
    let logits = try NPY.read(path: fixtures + "/digits-test-logits-torch.npy")
    XCTAssertEqual(logits.shape, [360, 10])
    XCTAssertEqual(logits.data[0], -3.503987, accuracy: 1e-6)
  }

  func testConvertsOtherDtypesAndVersion2() throws {
    let f8 = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                      payload: littleEndian([Double(1.5).bitPattern, Double(-2).bitPattern]))
    XCTAssertEqual(try NPY.decode(f8).data, [1.5, -2])
    let i8 = npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", payload: littleEndian([Int64(-3), 0, 9]))
    XCTAssertEqual(try NPY.decode(i8).data, [-3, 0, 9])
    // float16 by hand-checked bit patterns: 1, -2, the largest finite, the smallest subnormal, 2^-14, ±inf, NaN.
    let halves: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x0400, 0x7C00, 0xFC00, 0x7E00]
    let f2 = try NPY.decode(npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", payload: littleEndian(halves)))
    XCTAssertEqual(Array(f2.data.prefix(7)), [1, -2, 65504, 0x1p-24, 0x1p-14, .infinity, -.infinity])
    XCTAssertTrue(f2.data[7].isNaN)
    XCTAssertEqual(f2.sourceTypeName, "float16")
    let small: [(String, [UInt8], [Float])] = [
      ("<i2", littleEndian([Int16(-300), 7]), [-300, 7]), ("<u2", littleEndian([UInt16(65535), 1]), [65535, 1]),
      ("<u4", littleEndian([UInt32(70000), 2]), [70000, 2]), ("<u8", littleEndian([UInt64(1) << 40, 3]), [0x1p40, 3]),
      ("|i1", [0xFF, 0x05], [-1, 5]), ("|u1", [0xFF, 0x05], [255, 5]), ("|b1", [0, 2], [0, 1]),
    ]
    for (descr, payload, expected) in small {
      let array = try NPY.decode(npyBytes("{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), }", payload: payload))
      XCTAssertEqual(array.data, expected, descr)
    }
    let v2 = npyBytes("{'shape': (1, 1), 'fortran_order': False, 'descr': '<f4'}",
                      payload: littleEndian([Float(4.25).bitPattern]), major: 2)
    let decoded = try NPY.decode(v2)
    XCTAssertEqual(decoded.shape, [1, 1])
    XCTAssertEqual(decoded.data, [4.25])
  }

  func testBadFilesReportClearly() {
    let f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
    let good = npyBytes(f4, payload: littleEndian([UInt32](repeating: 0, count: 4)))
    XCTAssertNoThrow(try NPY.decode(good))
    assertError([], contains: "not an .npy file")
    assertError(Array("hello world, not numpy".utf8), contains: "not an .npy file")
    assertError(Array(good.prefix(9)), contains: "not an .npy file")
    assertError(Array(good.prefix(40)), contains: "runs past the end")
    assertError(Array(good.dropLast(1)), contains: "data too short")
    var hugeLength = good
    hugeLength[8] = 0xFF
    hugeLength[9] = 0xFF
    assertError(hugeLength, contains: "runs past the end")
    assertError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", payload: []),
                contains: "too large")
    assertError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", payload: []),
                contains: "bad dimension")
    assertError(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload: littleEndian([UInt32](repeating: 0, count: 4))),
                contains: "Fortran order")
    assertError(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", payload: [0, 0, 0, 0]), contains: "'>f4'")
    assertError(npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", payload: [0, 0, 0, 0]), contains: "'<c8'")
    assertError(npyBytes("{'fortran_order': False, 'shape': (1,), }", payload: [0, 0, 0, 0]), contains: "malformed")
    var version9 = good
    version9[6] = 9
    assertError(version9, contains: "version 9")
    XCTAssertThrowsError(try NPY.read(path: directory + "/missing.npy")) { error in
      XCTAssertTrue("\(error)".contains("missing.npy"))
    }
    XCTAssertThrowsError(try NPY.read(path: directory)) { error in
      XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
    }
    XCTAssertThrowsError(try RawFloat32.read(path: directory))
  }

  func testRawFloat32() throws {
    let path = directory + "/x.bin"
    let values: [Float] = [1, -2.5, .infinity, 3e-8]
    try RawFloat32.write(values, path: path)
    XCTAssertEqual(try RawFloat32.read(path: path), values)
    XCTAssertEqual(try RawFloat32.read(path: path, expectedCount: 4), values)
    XCTAssertThrowsError(try RawFloat32.read(path: path, expectedCount: 5))
    XCTAssertThrowsError(try RawFloat32.decode([1, 2, 3]))
    XCTAssertEqual(RawFloat32.encode([1]), [0, 0, 0x80, 0x3F])
  }
}
