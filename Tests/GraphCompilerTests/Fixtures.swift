import Foundation
import TestSupport
import GraphIR
import GraphRuntime

/// Paths of the checked-in fixtures, found from this file's location (no SwiftPM resources).
enum Fixtures {
  static func digits(_ file: String) -> String { FixturePaths.fixtures.appendingPathComponent("digits/\(file)").path }

  static func golden(_ file: String) -> String {
    FixturePaths.packageRoot.appendingPathComponent("Tests/GraphCompilerTests/Golden/\(file)").path
  }

  static func lenet() throws -> Model { try ONNXReader.read(contentsOf: digits("lenet-digits.onnx")) }
}
