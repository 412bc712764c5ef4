import AllocationCounter
import Foundation
import Synchronization
import XCTest

@testable import GraphRuntime

/// The library's conveniences: single-input runs, outputs into caller-owned tensors (with no
/// allocation), bindings by name, softmax and top-k, and the session pool for concurrent callers.
final class SessionAPITests: XCTestCase {
  func model() throws -> CompiledModel {
    let (plan, weights) = PlanFileTests.tinyPlan()
    return try CompiledModel(plan: plan, weights: weights)
  }

  func testSingleInputRunAndBindingsByName() throws {
    let model = try model()
    let session = try model.makeSession(threads: 2)
    let x = SessionTests.input(batch: 2)
    XCTAssertEqual(try session.run(x), try session.run(["input": x]))
    XCTAssertEqual(model.input(named: "input")?.itemShape, [2, 4, 4])
    XCTAssertEqual(model.output(named: "out")?.itemShape, [3, 4, 4])
    XCTAssertNil(model.output(named: "nope"))
    XCTAssertThrowsError(try session.run(try FloatTensor(shape: [1, 2, 4], values: [Float](repeating: 0, count: 8)))) { error in
      XCTAssertTrue("\(error)".contains("input 'input' has shape [1, 2, 4]"), "\(error)")
    }
  }

  func testRunIntoAddsNoAllocationToTheSteps() throws {
    try XCTSkipIf(graphc_allocation_count() < 0, "no allocation counter in this build (not glibc, or AddressSanitizer owns malloc)")
    let model = try model()
    let session = try model.makeSession(threads: 2)
    let x = SessionTests.input(batch: 3), y = SessionTests.input(batch: 3, seed: 1)
    let inputs = ["input": x], others = ["input": y]
    var outputs: [String: FloatTensor] = [:]
    try session.run(inputs, into: &outputs)
    XCTAssertEqual(outputs, try session.run(inputs), "same numbers as the allocating run")
    try session.run(others, into: &outputs)  // warm: every thread's scratch, the arena, the output tensor
    try session.run(x, into: &outputs)

    var before = graphc_allocation_count()
    for i in 0..<50 { try session.run(i % 2 == 0 ? inputs : others, into: &outputs) }
    let runs = graphc_allocation_count() - before
    XCTAssertEqual(outputs, try session.run(others), "and wrote the last run's outputs")
    before = graphc_allocation_count()
    for _ in 0..<50 { try session.executeSteps(batch: 3) }
    let steps = graphc_allocation_count() - before
    print("allocations in 50 runs into kept tensors: \(runs); in the plan's steps alone: \(steps)")

    // The counter counts: the allocating run does allocate (so a zero above means something).
    let plain = graphc_allocation_count()
    _ = try session.run(inputs)
    XCTAssertGreaterThan(graphc_allocation_count() - plain, 0)

    // Another batch size reallocates once, then runs in place again.
    try session.run(["input": SessionTests.input(batch: 1)], into: &outputs)
    XCTAssertEqual(outputs["out"]?.shape, [1, 3, 4, 4])

    #if DEBUG
      // Unspecialized generic code (debug builds) allocates in the standard library itself.
      try XCTSkipIf(runs != steps, "debug build: \(runs) vs \(steps); the equality is checked in optimized builds (swift test -c release)")
    #endif
    XCTAssertEqual(runs, steps, "loading inputs and storing outputs into kept tensors allocates nothing")
    XCTAssertEqual(steps, 0, "nor do the steps (whole networks: Tools/check_allocations.sh)")
  }

  func testSoftmaxAndTopK() throws {
    let t = try FloatTensor(shape: [2, 4], values: [1, 2, 3, 4, 0, 0, 5, 0])
    let p = t.softmax()
    XCTAssertEqual(p.shape, [2, 4])
    let e = [1, 2, 3, 4].map { exp(Double($0) - 4) }, sum = e.reduce(0, +)
    for (a, b) in zip(p.values.prefix(4), e.map { $0 / sum }) { XCTAssertEqual(Double(a), b, accuracy: 1e-7) }
    XCTAssertEqual(Double(p.values[2...3].reduce(0, +) + p.values[0...1].reduce(0, +)), 1, accuracy: 1e-6)
    XCTAssertEqual(t.topK(2), [[ScoredClass(index: 3, score: 4), ScoredClass(index: 2, score: 3)],
                               [ScoredClass(index: 2, score: 5), ScoredClass(index: 0, score: 0)]], "ties in index order")
    XCTAssertEqual(t.topK(9)[0].count, 4)
    XCTAssertEqual(t.topK(0), [[], []])
    // Large logits do not overflow: softmax subtracts the row's maximum.
    XCTAssertEqual(try FloatTensor(shape: [2], values: [1000, 1000]).softmax().values, [0.5, 0.5])
  }

  func testWrongElementCountsThrowInsteadOfTrapping() {
    XCTAssertThrowsError(try FloatTensor(shape: [2, 3], values: [1, 2, 3])) { error in
      XCTAssertEqual(error as? PlanError, .shape("shape [2, 3] needs 6 values, got 3"))
    }
    XCTAssertThrowsError(try FloatTensor(shape: [-1, 3], values: []))
    XCTAssertThrowsError(try FloatTensor(shape: [1 << 40, 1 << 40], values: []))
    XCTAssertThrowsError(try NPYArray(shape: [2, 3], data: [1, 2, 3])) { error in
      XCTAssertEqual(error as? RuntimeError, .shape("shape [2, 3] needs 6 values, got 3"))
    }
    XCTAssertThrowsError(try NPYArray(shape: [-2, -3], data: [1, 2, 3, 4, 5, 6]))
    XCTAssertEqual(try NPYArray(shape: [], data: [5]).data, [5], "a scalar holds one value")
    let (plan, weights) = PlanFileTests.tinyPlan()
    XCTAssertThrowsError(try plan.serialized(weights: Array(weights.dropLast()))) { error in
      XCTAssertEqual(error as? PlanError, .shape("plan expects \(weights.count) weights, got \(weights.count - 1)"))
    }
  }

  func testAPoolServesConcurrentCallers() throws {
    let model = try model()
    let pool = try model.makeSessionPool(threadsPerSession: 1, maximumIdle: 2)
    let inputs = (0..<16).map { SessionTests.input(batch: 1 + $0 % 3, seed: Float($0)) }
    let expected = try inputs.map { try model.makeSession().run($0) }
    let results = Mutex<[Int: [String: FloatTensor]]>([:])
    DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
      let outputs = try? pool.run(inputs[i])
      results.withLock { $0[i] = outputs }
    }
    let got = results.withLock { $0 }
    for i in inputs.indices { XCTAssertEqual(got[i], expected[i], "caller \(i)") }
    XCTAssertLessThanOrEqual(pool.idleCount, 2, "at most maximumIdle sessions kept")
    XCTAssertGreaterThan(pool.idleCount, 0)
    XCTAssertThrowsError(try model.makeSessionPool(threadsPerSession: 0))
  }

  /// Tasks awaiting one pool (Swift 6 strict concurrency: the pool and tensors are Sendable) get
  /// the outputs a single session computes for their inputs, whatever the interleaving.
  func testAsyncCallersShareAPool() async throws {
    let model = try model()
    let pool = try model.makeSessionPool(threadsPerSession: 2, maximumIdle: 3)
    let inputs = (0..<24).map { SessionTests.input(batch: 1 + $0 % 3, seed: Float($0)) }
    let single = try model.makeSession()
    let expected = try inputs.map { try single.run($0) }
    let got = try await withThrowingTaskGroup(of: (Int, [String: FloatTensor]).self) { group in
      for (i, x) in inputs.enumerated() { group.addTask { (i, try await pool.run(x)) } }
      for (i, x) in inputs.enumerated() where i % 4 == 0 { group.addTask { (i, try await pool.run(["input": x])) } }
      return try await group.reduce(into: [(Int, [String: FloatTensor])]()) { $0.append($1) }
    }
    XCTAssertEqual(got.count, inputs.count + inputs.count / 4)
    for (i, outputs) in got { XCTAssertEqual(outputs, expected[i], "caller \(i)") }
    XCTAssertLessThanOrEqual(pool.idleCount, 3)

    // A cancelled task does not start a run.
    let alreadyCancelled = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      return try await pool.run(inputs[1])
    }
    do {
      _ = try await alreadyCancelled.value
      XCTFail("a cancelled task ran")
    } catch {
      XCTAssertTrue(error is CancellationError, "\(error)")
    }
  }
}
