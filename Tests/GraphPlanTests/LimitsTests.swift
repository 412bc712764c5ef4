import GraphPlan
import XCTest

/// The budgets: derived from a memory size, parsed from `--max-memory`, and their errors.
final class LimitsTests: XCTestCase {
  func testBudgetsFollowTheMemorySize() {
    let limits = Limits(memory: 1 << 30)
    XCTAssertEqual(limits.maxTensorBytes, 1 << 29)
    XCTAssertEqual(limits.maxWeightBytes, 1 << 29)
    XCTAssertEqual(limits.maxArenaBytes, 1 << 29)
    XCTAssertEqual(limits.maxFoldedBytes, 1 << 28)
    XCTAssertEqual(limits.maxNodes, 1 << 18)
    XCTAssertEqual(limits.maxNestingDepth, 64)
    XCTAssertGreaterThan(Limits.physicalMemory, 1 << 20)
    XCTAssertEqual(Limits.machine, Limits(memory: Limits.physicalMemory))
  }

  func testSizesParse() {
    XCTAssertEqual(Limits.parseBytes("2G"), 2 << 30)
    XCTAssertEqual(Limits.parseBytes("512M"), 512 << 20)
    XCTAssertEqual(Limits.parseBytes("64k"), 64 << 10)
    XCTAssertEqual(Limits.parseBytes("1.5GiB"), 3 << 29)
    XCTAssertEqual(Limits.parseBytes("1T"), 1 << 40)
    XCTAssertEqual(Limits.parseBytes("1000"), 1000)
    XCTAssertEqual(Limits.parseBytes("100MB"), 100 << 20)
    for bad in ["", "G", "-1G", "0", "2X", "abc", "1e30", "nan", "inf"] {
      XCTAssertNil(Limits.parseBytes(bad), bad)
    }
    XCTAssertEqual(Limits(memory: "2G"), Limits(memory: 2 << 30))
    XCTAssertNil(Limits(memory: "lots"))
  }

  func testCheckNamesTheValueTheSizeAndTheLimit() throws {
    let limits = Limits(memory: 1000)
    XCTAssertEqual(try limits.check("x", count: 100, elementSize: 4, against: \.maxTensorBytes), 400)
    XCTAssertThrowsError(try limits.check("tensor 'w'", count: 200, elementSize: 4, against: \.maxTensorBytes)) {
      XCTAssertEqual(
        "\($0)", "tensor 'w' needs 800 bytes, over the max tensor bytes limit of 500 bytes (raise it with --max-memory SIZE, or set Limits in code)")
    }
    XCTAssertThrowsError(try limits.check("the arena", count: Int.max / 2, elementSize: 4, against: \.maxArenaBytes)) {
      XCTAssertTrue("\($0)".hasPrefix("the arena needs more than 2^63 bytes, over the max arena + workspace bytes limit of 500 bytes"), "\($0)")
    }
    XCTAssertThrowsError(try limits.check("the model's node count", count: 7, against: \.maxNodes)) {
      XCTAssertTrue("\($0)".hasPrefix("the model's node count is 7, over the max nodes limit of 1 "), "\($0)")
    }
    XCTAssertThrowsError(try limits.check("negative", count: -1, against: \.maxFoldedBytes))
  }
}
