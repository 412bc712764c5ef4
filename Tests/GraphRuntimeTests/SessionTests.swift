import Foundation
import XCTest

@testable import GraphRuntime
import GraphPlan
import GraphReference

final class SessionTests: XCTestCase {
  func input(batch: Int, seed: Float = 0) -> FloatTensor { Self.input(batch: batch, seed: seed) }

  static func input(batch: Int, seed: Float = 0) -> FloatTensor {
    try! FloatTensor(shape: [batch, 2, 4, 4], values: (0..<(batch * 32)).map { sin(Float($0) * 0.37 + seed) })
  }

  func testConvPlanMatchesTheReferenceKernel() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let model = try CompiledModel(plan: plan, weights: weights)
    let x = input(batch: 3)
    let out = try model.makeSession(threads: 2).run(["input": x])["out"]!
    XCTAssertEqual(out.shape, [3, 3, 4, 4])
    guard case .conv(let c) = plan.steps[0].kernel else { return XCTFail() }
    var expected = [Float](repeating: 0, count: 3 * 48)
    let p = Conv2DParameters(batch: 3, inChannels: 2, inHeight: 4, inWidth: 4, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
                             padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    weights.withUnsafeBufferPointer { w in
      Reference.conv2d(p, input: x.values, weights: w.baseAddress!, epilogue: Epilogue(bias: w.baseAddress! + c.bias!.offset, activation: .relu), output: &expected)
    }
    // Same numbers up to float32 rounding: the fast conv sums in another order (and with FMA where the CPU has it).
    let scale = expected.map(abs).max() ?? 1
    for (a, e) in zip(out.values, expected) { XCTAssertEqual(a, e, accuracy: 1e-6 * scale) }
  }

  func testOneModelServesSessionsOnSeveralThreads() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let model = try CompiledModel(plan: plan, weights: weights)
    let expected = try model.makeSession().run(["input": input(batch: 2)])
    final class Results: @unchecked Sendable {
      let lock = NSLock()
      var same: [Bool] = []
      func add(_ ok: Bool) { lock.lock(); same.append(ok); lock.unlock() }
    }
    let results = Results()
    DispatchQueue.concurrentPerform(iterations: 4) { i in
      var same = true
      if let session = try? model.makeSession(threads: 1 + i % 2) {
        for _ in 0..<20 { same = same && (try? session.run(["input": Self.input(batch: 2)])) == expected }
      } else { same = false }
      results.add(same)
    }
    XCTAssertEqual(results.same, [true, true, true, true])
  }

  func testBatchFollowsTheInputAndTheArenaGrows() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let session = try CompiledModel(plan: plan, weights: weights).makeSession()
    let one = try session.run(["input": input(batch: 1, seed: 1)])["out"]!
    let four = try session.run(["input": try FloatTensor(shape: [4, 2, 4, 4], values: Array(repeating: input(batch: 1, seed: 1).values, count: 4).flatMap { $0 })])["out"]!
    XCTAssertEqual(four.shape, [4, 3, 4, 4])
    for n in 0..<4 { XCTAssertEqual(Array(four.values[(n * 48)..<((n + 1) * 48)]), one.values) }
    XCTAssertEqual(try session.run(["input": input(batch: 1, seed: 1)])["out"], one, "a smaller batch after a larger one")
  }

  func testBadInputsAreErrors() throws {
    var (plan, weights) = PlanFileTests.tinyPlan()
    let session = try CompiledModel(plan: plan, weights: weights).makeSession()
    XCTAssertThrowsError(try session.run([:])) { XCTAssertTrue("\($0)".contains("missing input 'input'")) }
    XCTAssertThrowsError(try session.run(["input": try FloatTensor(shape: [1, 2, 4, 5], values: Array(repeating: 0, count: 40))])) {
      XCTAssertTrue("\($0)".contains("expected [N, 2, 4, 4]"), "\($0)")
    }
    XCTAssertThrowsError(try session.run(["input": input(batch: 1), "other": input(batch: 1)])) {
      XCTAssertTrue("\($0)".contains("unknown input 'other'"))
    }
    plan.fixedBatch = 2
    let fixed = try CompiledModel(plan: plan, weights: weights).makeSession()
    XCTAssertThrowsError(try fixed.run(["input": input(batch: 3)])) { XCTAssertTrue("\($0)".contains("batch 2")) }
    XCTAssertEqual(try fixed.run(["input": input(batch: 2)])["out"]?.shape, [2, 3, 4, 4])
  }
}
