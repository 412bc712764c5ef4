import Foundation
import GraphCompiler
import GraphIR
import GraphRuntime
import TestSupport

@testable import GraphServing

/// A model repository made once per test run: Graphs/lenet.graph (real trained weights,
/// symbolic batch) compiled in-process into `lenet/plan.bin` with digit labels.
enum ServingFixture {
  static let repositoryPath: String = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graphserve-tests-\(getpid())/lenet")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let graph = FixturePaths.graphs.appendingPathComponent("lenet.graph").path
    let output = try! Pipeline.compile(try! ONNXReader.read(contentsOf: graph))
    try! Data(try! output.plan.serialized(weights: output.weights)).write(to: folder.appendingPathComponent("plan.bin"))
    try! (0..<10).map { "digit \($0)" }.joined(separator: "\n").write(to: folder.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
    return folder.deletingLastPathComponent().path
  }()

  static var planPath: String { repositoryPath + "/lenet/plan.bin" }

  /// `batch` seeded pseudo-random images (values in [0, 1)).
  static func images(batch: Int, seed: UInt64) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<(batch * 784)).map { _ in
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return Float(state >> 40) / Float(1 << 24)
    }
  }

  /// What a session gives for `images` run alone.
  static func alone(_ images: [Float], batch: Int) throws -> [Float] {
    let session = try CompiledModel(contentsOfFile: planPath).makeSession(threads: 1)
    return try session.run(["input": FloatTensor(shape: [batch, 1, 28, 28], values: images)])["logits"]!.values
  }
}
