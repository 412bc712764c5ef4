import Foundation
import GraphIR
import GraphRuntime

/// Paths of the checked-in fixtures, found from this file's location (no SwiftPM resources).
enum Fixtures {
  /// `Tests/`.
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

  static func digits(_ file: String) -> String { testsDirectory.appendingPathComponent("Fixtures/digits/\(file)").path }

  static func golden(_ file: String) -> String {
    testsDirectory.appendingPathComponent("GraphCompilerTests/Golden/\(file)").path
  }

  static func lenet() throws -> Model { try ONNXReader.read(contentsOf: digits("lenet-digits.onnx")) }
}
