import Foundation
import TestSupport

/// Runs the built command-line tools the way a user would.
enum CLI {
  static let packageRoot = FixturePaths.packageRoot
  static let lenet = packageRoot.appendingPathComponent("Tests/Fixtures/digits/lenet-digits.onnx").path

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// `tool` next to the test bundle (same build configuration and scratch path, e.g. the
  /// AddressSanitizer build in `.build-asan`), else in `.build/debug`.
  static func binary(_ tool: String) -> String {
    // macOS loads the tests as a `.xctest` bundle; on Linux the `.xctest` is the executable itself.
    let bundles = Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }.map { URL(fileURLWithPath: $0.bundlePath) }
    for test in bundles + [Bundle.main.executableURL].compactMap({ $0 }) {
      let candidate = test.deletingLastPathComponent().appendingPathComponent(tool).path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return packageRoot.appendingPathComponent(".build/debug/\(tool)").path
  }

  static func isBuilt(_ tool: String) -> Bool { FileManager.default.isExecutableFile(atPath: binary(tool)) }

  static func run(_ tool: String, _ arguments: [String]) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary(tool))
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a large output cannot fill the pipe and block the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
  }

  /// A fresh temporary folder.
  static func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
