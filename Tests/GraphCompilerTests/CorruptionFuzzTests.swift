import Foundation
import GraphIR
import GraphRuntime
import GraphPlan
import TestSupport
import XCTest

@testable import GraphCompiler

/// Hostile files must be errors, never traps: random corruptions of a real model
/// and of real plans (with the checksum fixed up, so the validator, not the
/// checksum, has to catch them). A crash here fails the whole test run.
final class CorruptionFuzzTests: XCTestCase {
  func testCorruptedModelsReadAndCompileWithoutCrashing() throws {
    let original = try XCTUnwrap(FileManager.default.contents(atPath: Fixtures.digits("lenet-digits.onnx")))
    var random = SeededRandom(seed: 7)
    var errors = 0, compiled = 0
    for trial in 0..<300 {
      var bytes = original
      // Mostly hit the graph structure near the end of the file, where nodes and shapes live.
      for _ in 0..<(1 + trial % 4) {
        let at = trial % 3 == 0 ? Int(random.next() % UInt64(bytes.count)) : bytes.count - 1 - Int(random.next() % 2048)
        bytes[at] = UInt8(truncatingIfNeeded: random.next())
      }
      if trial % 10 == 0 { bytes = bytes.prefix(Int(random.next() % UInt64(bytes.count))) }
      do {
        let model = try ONNXReader.read(bytes: bytes, baseDirectory: nil)
        _ = try Pipeline.compile(model)
        compiled += 1
      } catch is GraphError {
        errors += 1
      }
    }
    XCTAssertEqual(errors + compiled, 300)
    XCTAssertGreaterThan(errors, 25, "corruptions outside the weights should be reported")
  }

  func testPlansWithValidChecksumButBadFieldsAreRejectedOrRunSafely() throws {
    var plans = [try Pipeline.compile(try Fixtures.lenet())]
    plans.append(try Pipeline.compile(TestGraphs.inception()))
    plans.append(try Pipeline.compile(TestGraphs.residual()))
    var random = SeededRandom(seed: 11)
    var rejected = 0, ran = 0
    for output in plans {
      let good = try output.plan.serialized(weights: output.weights)
      // Only the metadata and steps: corrupting weights changes numbers, not safety.
      let weightsStart = good.withUnsafeBytes { Int($0.load(fromByteOffset: 64 + 2 * 24 + 8, as: UInt64.self)) }
      for _ in 0..<400 {
        var bytes = good
        for _ in 0..<(1 + Int(random.next() % 3)) {
          let at = 64 + 3 * 24 + Int(random.next() % UInt64(weightsStart - 64 - 3 * 24))
          bytes[at] = random.next() % 4 == 0 ? bytes[at] ^ 0x80 : UInt8(truncatingIfNeeded: random.next())
        }
        let checksum = bytes.withUnsafeBytes { PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[64...])) }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: checksum.littleEndian, toByteOffset: 24, as: UInt64.self) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).plan").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
          let model = try CompiledModel(contentsOfFile: path)
          let session = try model.makeSession(threads: 2)
          var inputs: [String: FloatTensor] = [:]
          for b in model.plan.inputs {
            inputs[b.name] = try FloatTensor(shape: [2] + b.view.dims, values: random.floats(2 * b.view.itemCount))
          }
          _ = try session.run(inputs)
          ran += 1
        } catch is RuntimeError {
          rejected += 1
        }
      }
    }
    XCTAssertEqual(rejected + ran, 1200)
    XCTAssertGreaterThan(rejected, 100)
  }
}
