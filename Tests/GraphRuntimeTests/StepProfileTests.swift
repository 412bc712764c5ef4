import GraphPlan
import XCTest

@testable import GraphRuntime

/// The profiling hook: the timed run computes what the plain run does, and steps are named and counted.
final class StepProfileTests: XCTestCase {
  func testTimedRunGivesTheSameOutputsAndOneReadingPerStepBoundary() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let session = try CompiledModel(plan: plan, weights: weights).makeSession(threads: 2)
    let x = SessionTests.input(batch: 3)
    var clock: [UInt64] = []
    let timed = try session.run(["input": x], stepClock: &clock)
    XCTAssertEqual(timed, try session.run(["input": x]))
    XCTAssertEqual(clock.count, plan.steps.count + 1)
    XCTAssertEqual(clock, clock.sorted(), "monotonic readings")
  }

  func testStepProfilesNameTheKernelAndCountItsArithmetic() throws {
    let (plan, weights) = PlanFileTests.tinyPlan()
    let profiles = try CompiledModel(plan: plan, weights: weights).stepProfiles
    XCTAssertEqual(profiles.count, 1)
    let conv = profiles[0]
    XCTAssertEqual(conv.name, "conv")
    XCTAssertEqual(conv.kind, "conv")
    XCTAssertEqual(conv.summary, PlanDescription.summary(plan.steps[0].kernel))
    XCTAssertEqual(conv.inputShapes, [[2, 4, 4]])
    XCTAssertEqual(conv.outputShape, [3, 4, 4])
    XCTAssertEqual(conv.operationsPerItem, 2 * 3 * 2 * 3 * 3 * 4 * 4)

    let pool = Pooling(
      kind: .max, geometry: Pool2DGeometry(channels: 8, inHeight: 6, inWidth: 6, outHeight: 3, outWidth: 3, kernelHeight: 2, kernelWidth: 2),
      countIncludePad: false)
    let step = { (k: Kernel, dims: [Int]) in
      Step(name: "s", absorbed: [], kernel: k, inputs: [View(base: 0, itemStride: 288, dims: [8, 6, 6])], output: View(base: 0, itemStride: 72, dims: dims))
    }
    XCTAssertEqual(StepProfile.operations(step(.pool(pool), [8, 3, 3])), 8 * 3 * 3 * 2 * 2)
    XCTAssertEqual(StepProfile.operations(step(.globalPool(.average), [8, 1, 1])), 288)
    XCTAssertEqual(StepProfile.operations(step(.activation(.relu), [8, 6, 6])), 288)
    XCTAssertEqual(StepProfile.operations(step(.copy, [8, 6, 6])), 0)
    let dense = Dense(inFeatures: 288, outFeatures: 10, weights: WeightRef(offset: 0, count: 2880), bias: nil, activation: .none)
    XCTAssertEqual(StepProfile.operations(step(.dense(dense), [10])), 2 * 288 * 10)
  }
}
