import GraphPlan
@testable import GraphRuntime
import TestSupport
import XCTest

/// Inputs the fuzzers (Tools/fuzz.sh, docs/fuzzing.md) once crashed on, each with the clean
/// error it gives now. Every file in Tests/Fixtures/fuzz-regressions/{plan,npy} is listed here.
final class FuzzRegressionTests: XCTestCase {
  static let folder = FixturePaths.fixtures.appendingPathComponent("fuzz-regressions")

  /// Plan files and what their error says.
  static let plans = [
    // A binary step whose right operand dims multiply past 2^63: the validator trapped. Found by
    // the plan fuzzer in a mutated op-coverage plan; minimized to one step when format 5
    // changed the dense encoding that file also held.
    "binary-dims-overflow.plan": "binary operand dims",
    // A view whose item stride times its item count passes 2^63: the arena-size check, which runs
    // before each view's own checks, trapped. Found by the plan fuzzer (format 7) once it built again.
    "view-extent-overflow.plan": "a view's extent overflows",
  ]
  /// `.npy` files and what their error says.
  static let npys: [String: String] = [:]

  func testPlansAreCleanErrors() throws {
    for (name, expected) in Self.plans {
      var bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("plan/\(name)")))
      Self.stampCurrentVersion(&bytes)
      XCTAssertThrowsError(try bytes.withUnsafeBytes { try PlanReader.decode($0, source: name) }, name) { error in
        guard case .format(let message)? = error as? PlanError else { return XCTFail("\(name): \(error)") }
        XCTAssertTrue(message.hasPrefix(name) && message.contains(expected), "\(name): \(message)")
      }
    }
  }

  /// A slice that takes one element along an axis may name any step there (validation bounds
  /// only steps that are taken); the gather's stride along it was the step times the axis
  /// stride and overflowed when the model loaded.
  func testSliceStepOfAOneElementAxisIsNeverMultiplied() {
    let g = StridedGather(slicing: [1, 1 << 23], starts: [0, 5], steps: [1 << 40, 1], outShape: [1, 3])
    XCTAssertEqual(g.offset, 5)
    XCTAssertEqual(g.strides, [0, 1])
  }

  func testNPYsAreCleanErrors() throws {
    for (name, expected) in Self.npys {
      let path = Self.folder.appendingPathComponent("npy/\(name)").path
      XCTAssertThrowsError(try NPY.read(path: path), name) { XCTAssertTrue("\($0)".contains(expected), "\(name): \($0)") }
    }
  }

  func testEveryRegressionFileIsListed() throws {
    for (kind, listed) in [("plan", Set(Self.plans.keys)), ("npy", Set(Self.npys.keys))] {
      let files = (try? FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent(kind).path)) ?? []
      XCTAssertEqual(Set(files), listed, "fuzz-regressions/\(kind)")
    }
  }

  /// The files keep the format version they were written at (6 and 7); a later version with the same
  /// layout reads them once the header says so. The checksum covers bytes 64 on, not the version.
  static func stampCurrentVersion(_ bytes: inout [UInt8]) {
    withUnsafeBytes(of: PlanFormat.version.littleEndian) { bytes.replaceSubrange(8..<12, with: $0) }
  }
}
