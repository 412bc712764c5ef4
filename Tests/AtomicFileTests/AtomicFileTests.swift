import AtomicFile
import Foundation
import XCTest

/// Writes replace only the named file, whole, and never a device, a link or a neighbour.
final class AtomicFileTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
  func contents(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
  func leftovers() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") } }

  func testReplacesAndKeepsPermissions() throws {
    try AtomicFile.write(Array("one".utf8), to: path("plan.bin"))
    XCTAssertEqual(try contents("plan.bin"), "one")
    XCTAssertEqual(chmod(path("plan.bin"), 0o600), 0)
    try AtomicFile.write(Array("two".utf8), to: path("plan.bin"))
    XCTAssertEqual(try contents("plan.bin"), "two")
    let mode = try FileManager.default.attributesOfItem(atPath: path("plan.bin"))[.posixPermissions] as? Int
    XCTAssertEqual(mode, 0o600, "a 0600 plan stays 0600")
    XCTAssertEqual(try leftovers(), [])
  }

  func testDeviceIsWrittenNotReplaced() throws {
    try AtomicFile.write(Array("discarded".utf8), to: "/dev/null")
    let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
    XCTAssertEqual(type, .typeCharacterSpecial, "/dev/null must stay a device")
  }

  func testSymbolicLinkIsFollowed() throws {
    try AtomicFile.write(Array("old".utf8), to: path("target"))
    try FileManager.default.createSymbolicLink(atPath: path("link"), withDestinationPath: path("target"))
    try AtomicFile.write(Array("new".utf8), to: path("link"))
    XCTAssertEqual(try contents("target"), "new")
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link")), path("target"), "the link stays a link")
  }

  func testFailuresLeaveTheOldFileAndNoTemporary() throws {
    try AtomicFile.write(Array("kept".utf8), to: path("out"))
    XCTAssertThrowsError(try AtomicFile.write([1], to: folder.path)) { XCTAssertTrue("\($0)".contains("directory"), "\($0)") }
    XCTAssertThrowsError(try AtomicFile.write([1], to: path("missing-folder/out")))
    XCTAssertEqual(try contents("out"), "kept")
    XCTAssertEqual(try leftovers(), [])
  }

  func testNamesUpToNameMax() throws {
    let name = String(repeating: "n", count: 250)
    try AtomicFile.write(Array("long".utf8), to: path(name))
    XCTAssertEqual(try contents(name), "long")
  }
}
