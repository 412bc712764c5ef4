import TestSupport
import XCTest

@testable import GraphCompiler

final class MemoryPlannerTests: XCTestCase {
  typealias Buffer = MemoryPlanner.Buffer

  /// The peak of live sizes, computed step by step (independently of the planner's sweep).
  func bruteForceLowerBound(_ buffers: [Buffer]) -> Int {
    guard let first = buffers.map(\.firstStep).min(), let last = buffers.map(\.lastStep).max() else { return 0 }
    return (first...last).map { step in
      buffers.filter { $0.firstStep <= step && step <= $0.lastStep }.map(\.size).reduce(0, +)
    }.max()!
  }

  /// No two buffers alive at the same step share a byte; sizes and bounds are consistent.
  func assertValid(_ buffers: [Buffer], _ result: MemoryPlanner.Result, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.offsets.count, buffers.count, file: file, line: line)
    guard result.offsets.count == buffers.count else { return }
    XCTAssertTrue(result.offsets.allSatisfy { $0 >= 0 }, "negative offset", file: file, line: line)
    XCTAssertEqual(result.arenaSize, zip(buffers, result.offsets).map { $0.size + $1 }.max() ?? 0, file: file, line: line)
    XCTAssertEqual(result.lowerBound, bruteForceLowerBound(buffers), file: file, line: line)
    XCTAssertEqual(result.naiveSize, buffers.map(\.size).reduce(0, +), file: file, line: line)
    XCTAssertGreaterThanOrEqual(result.arenaSize, result.lowerBound, file: file, line: line)
    XCTAssertLessThanOrEqual(result.arenaSize, result.naiveSize, file: file, line: line)
    for i in buffers.indices {
      for j in buffers.indices where i < j {
        let (a, b) = (buffers[i], buffers[j])
        guard a.firstStep <= b.lastStep && b.firstStep <= a.lastStep else { continue }
        let (oa, ob) = (result.offsets[i], result.offsets[j])
        let disjoint = oa + a.size <= ob || ob + b.size <= oa
        XCTAssertTrue(disjoint, "buffers \(i) \(a) at \(oa) and \(j) \(b) at \(ob) overlap", file: file, line: line)
      }
    }
  }

  func testRandomLifetimesNeverOverlap() {
    var random = SeededRandom(seed: 42)
    for _ in 0..<300 {
      let count = Int(random.next() % 24) + 1
      let steps = Int(random.next() % 16) + 1
      let buffers = (0..<count).map { _ -> Buffer in
        let first = Int(random.next() % UInt64(steps))
        let last = first + Int(random.next() % UInt64(steps - first))
        // Mostly multiples of 16 floats (as the plan builder pads), some odd sizes.
        let size = random.next() % 4 == 0 ? Int(random.next() % 100) + 1 : 16 * (Int(random.next() % 8) + 1)
        return Buffer(size: size, firstStep: first, lastStep: last)
      }
      assertValid(buffers, MemoryPlanner.plan(buffers))
    }
  }

  /// A chain where each step reads the previous buffer and writes the next reaches the lower bound.
  func testChainReachesTheLowerBound() {
    var random = SeededRandom(seed: 7)
    for length in [1, 2, 3, 8, 20] {
      let buffers = (0..<length).map { i in Buffer(size: 16 * (Int(random.next() % 10) + 1), firstStep: i, lastStep: i + 1) }
      let result = MemoryPlanner.plan(buffers)
      assertValid(buffers, result)
      XCTAssertEqual(result.arenaSize, result.lowerBound, "chain of \(length): \(buffers.map(\.size))")
    }
  }

  /// Buffers never alive together share one offset.
  func testDisjointLifetimesShareMemory() {
    let buffers = [Buffer(size: 64, firstStep: 0, lastStep: 0), Buffer(size: 32, firstStep: 1, lastStep: 1), Buffer(size: 64, firstStep: 2, lastStep: 3)]
    let result = MemoryPlanner.plan(buffers)
    assertValid(buffers, result)
    XCTAssertEqual(result.arenaSize, 64)
    XCTAssertEqual(result.offsets, [0, 0, 0])
  }

  func testNoBuffers() {
    let result = MemoryPlanner.plan([])
    XCTAssertEqual(result.arenaSize, 0)
    XCTAssertEqual(result.lowerBound, 0)
  }

  /// The compiled LeNet reaches its lower bound too (the report says so).
  func testLeNetArenaIsAtTheLowerBound() throws {
    let out = try Pipeline.compile(try Fixtures.lenet())
    XCTAssertEqual(out.report.arenaBytes, out.report.lowerBoundBytes)
    XCTAssertLessThan(out.report.arenaBytes, out.report.naiveBytes)
  }
}
