import Foundation
import GraphPlan
import XCTest
@testable import GraphRuntime

/// Callers can switch on what went wrong; the message says it in words.
final class RuntimeErrorTests: XCTestCase {
  func testFileErrorsNameThePath() {
    XCTAssertThrowsError(try CompiledModel(contentsOfFile: "/no/such/plan.bin")) { error in
      guard case .file(let path, let reason)? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertEqual(path, "/no/such/plan.bin")
      XCTAssertTrue(reason.contains("cannot open plan"), reason)
      XCTAssertTrue("\(error)".hasPrefix("/no/such/plan.bin: cannot open plan"), "\(error)")
    }
    XCTAssertThrowsError(try NPY.read(path: "/no/such/a.npy")) { error in
      guard case .file? = error as? RuntimeError else { return XCTFail("\(error)") }
    }
  }

  func testDamagedAndNewerPlansAreFormatAndUnsupported() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    var bytes = try plan.serialized(weights: weights)
    let path = NSTemporaryDirectory() + "runtime-error-\(UUID().uuidString).plan"
    defer { try? FileManager.default.removeItem(atPath: path) }
    bytes[bytes.count - 3] ^= 1
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    XCTAssertThrowsError(try CompiledModel(contentsOfFile: path)) { error in
      guard case .format(let m)? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertTrue(m.contains("checksum") && m.hasPrefix(path), m)
    }
    bytes[bytes.count - 3] ^= 1
    bytes[8] = UInt8(PlanFormat.version + 1)
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    XCTAssertThrowsError(try CompiledModel(contentsOfFile: path)) { error in
      guard case .unsupported(let m)? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertTrue(m.contains("version \(PlanFormat.version + 1)") && m.contains("newer graphc"), m)
    }
    // A plan from before provenance was recorded says to recompile.
    bytes[8] = UInt8(PlanFormat.version - 1)
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    XCTAssertThrowsError(try CompiledModel(contentsOfFile: path)) { error in
      guard case .unsupported(let m)? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertTrue(m.contains("version \(PlanFormat.version - 1) is not supported") && m.contains("recompile the model"), m)
    }
  }

  /// The plan records its compiler and source model; the reader gives them back and refuses a malformed digest.
  func testProvenanceRoundTripsAndIsValidated() throws {
    var (plan, weights) = PlanFileTests.tinyPlan()
    plan.provenance = PlanProvenance(modelPath: "/models/tiny.onnx", bytes: Array("abc".utf8))
    XCTAssertEqual(plan.provenance.modelFile, "tiny.onnx")
    XCTAssertEqual(plan.provenance.modelSHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(plan.provenance.compilerVersion, GraphcVersion.current)
    let bytes = try plan.serialized(weights: weights)
    let decoded = try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "tiny.plan").plan }
    XCTAssertEqual(decoded.provenance, plan.provenance)
    XCTAssertEqual(decoded, plan)

    for bad in [String(repeating: "A", count: 64), "abc", String(repeating: "0", count: 63) + "g"] {
      plan.provenance.modelSHA256 = bad
      let damaged = try plan.serialized(weights: weights)
      XCTAssertThrowsError(try damaged.withUnsafeBytes { try PlanReader.decode($0, source: "tiny.plan") }) { error in
        XCTAssertTrue("\(error)".contains("provenance SHA-256"), "\(error)")
      }
    }
  }

  func testInputErrors() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let session = try CompiledModel(plan: plan, weights: weights).makeSession()
    XCTAssertThrowsError(try session.run([:])) { error in
      guard case .input(let m)? = error as? RuntimeError else { return XCTFail("\(error)") }
      XCTAssertTrue(m.contains("missing input 'input'"), m)
    }
    XCTAssertThrowsError(try session.run(["input": try FloatTensor(shape: [1, 2, 4, 3], values: Array(repeating: 0, count: 24))])) {
      guard case .input? = $0 as? RuntimeError else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try CompiledModel(plan: plan, weights: weights).makeSession(threads: 0)) {
      guard case .input? = $0 as? RuntimeError else { return XCTFail("\($0)") }
    }
  }
}

/// Sizes from a plan are checked before anything is allocated (see also LimitsIOTests).
final class PlanSizeTests: XCTestCase {
  func testAbsurdFixedBatchIsRejected() {
    var (plan, _) = PlanFileTests.tinyPlan()
    plan.fixedBatch = 1 << 40
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("fixed batch"), "\($0)") }
  }
}
