import Foundation
import GraphIR
import TestSupport
import XCTest

@testable import GraphCompiler

/// Models fuzz-onnx (Tools/fuzz.sh, docs/fuzzing.md) once crashed on, each with the clean error
/// it gives now. Every file in Tests/Fixtures/fuzz-regressions/onnx is listed here.
final class ONNXFuzzRegressionTests: XCTestCase {
  static let folder = FixturePaths.fixtures.appendingPathComponent("fuzz-regressions/onnx")

  /// Files and what their error says. They are fuzz inputs: a model, then optionally the
  /// separator and the bytes of its `w.weights` (Fuzz/fuzz-onnx/main.swift).
  static let models = [
    // Split sizes read from external data (two int64s mutated in the weights blob) that add
    // past Int.max: shape inference trapped summing them.
    "split-sizes-overflow.onnx": "split sizes [1038769607867328869, 8387236764689827338] do not add up to 8",
    // An external-data offset of Int.max (the tiny net's seed, its first offset overwritten in
    // place): the reader trapped adding the length to it for its error message. Made by hand
    // from the report; the fuzzer did not reach it in 5 minutes.
    "external-offset-overflow.onnx": "the tensor needs 1728 bytes at offset 9223372036854775807",
  ]

  func testModelsAreCleanErrors() throws {
    for (name, expected) in Self.models {
      let (folder, withWeights) = try Self.unpack(name)
      defer { try? FileManager.default.removeItem(at: folder) }
      // The fuzz target's stages, in its order; the first error is the one that counts.
      XCTAssertThrowsError(
        try {
          let model = try ONNXReader.read(
            contentsOf: folder.appendingPathComponent("model.onnx").path, options: .init(loadExternalData: withWeights))
          try Verifier.verify(model)
          _ = try ShapeInference.infer(model)
        }(), name
      ) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
      }
    }
  }

  func testEveryRegressionFileIsListed() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
    XCTAssertEqual(Set(files), Set(Self.models.keys))
  }

  /// Writes the fuzz input's model and weights blob into a fresh folder, as fuzz-onnx does;
  /// whether there was a blob (without one, fuzz-onnx does not load external data).
  static func unpack(_ name: String) throws -> (URL, Bool) {
    let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
    let separator = Data("\n--graphc-fuzz-weights--\n".utf8)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-fuzz-regression-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    if let split = bytes.range(of: separator) {
      try Data(bytes[..<split.lowerBound]).write(to: folder.appendingPathComponent("model.onnx"))
      try Data(bytes[split.upperBound...]).write(to: folder.appendingPathComponent("w.weights"))
      return (folder, true)
    }
    try bytes.write(to: folder.appendingPathComponent("model.onnx"))
    return (folder, false)
  }
}
