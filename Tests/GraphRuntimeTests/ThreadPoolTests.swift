import Synchronization
import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

final class ThreadPoolTests: XCTestCase {
  /// A shared count the loop bodies reach through their context (bodies capture nothing, and
  /// a context is bitwise-copyable: the count lives behind a pointer). Freed by the test.
  struct Counter {
    private let count: UnsafeMutablePointer<Atomic<Int>>
    init() {
      count = .allocate(capacity: 1)
      count.initialize(to: Atomic(0))
    }
    func add(_ n: Int) { _ = count.pointee.add(n, ordering: .relaxed) }
    var value: Int { count.pointee.load(ordering: .relaxed) }
    func free() { count.deallocate() }
  }

  func testEveryIndexRunsExactlyOnce() {
    for threads in [1, 2, 3] {
      let pool = ThreadPool(threads: threads)
      for count in [0, 1, 2, 1000] {
        let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: max(count, 1))
        for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
        pool.parallelFor(count, hits) { hits, i in _ = hits[i].add(1, ordering: .relaxed) }
        for i in 0..<count { XCTAssertEqual(hits[i].load(ordering: .relaxed), 1, "threads \(threads) count \(count) index \(i)") }
        hits.deallocate()
      }
    }
  }

  /// A thread takes its own share from the front, then the others' from the back (their owners
  /// keep their front, where their data is), so one thread alone still runs every index once.
  func testLoopSharesOwnFrontThenOthersBacks() {
    let shares = LoopShares(threads: 3)
    shares.reset(count: 10)  // shares 0..<3, 3..<6, 6..<10
    var order: [Int] = []
    shares.drain(thread: 1, run: 2) { order.append($0) }
    XCTAssertEqual(order, [3, 4, 5, 8, 9, 6, 7, 1, 2, 0])
    order = []
    shares.drain(thread: 0, run: 2) { order.append($0) }
    XCTAssertEqual(order, [], "every index was taken")
    shares.reset(count: 7)  // 0..<2, 2..<4, 4..<7
    shares.drain(thread: 0, run: 1) { order.append($0) }
    XCTAssertEqual(order, [0, 1, 3, 2, 6, 5, 4])
  }

  func testManyShortLoopsAndSeveralPools() {
    let a = ThreadPool(threads: 2), b = ThreadPool(threads: 2)
    let total = Counter()
    for round in 0..<2000 {
      let pool = round % 2 == 0 ? a : b
      pool.parallelFor(3, total) { total, _ in total.add(1) }
    }
    XCTAssertEqual(total.value, 6000)
    total.free()
  }

  func testNestedLoopRunsInline() {
    let pool = ThreadPool(threads: 2)
    let total = Counter()
    pool.parallelFor(4, (Unmanaged.passUnretained(pool), total)) { context, _ in
      context.0.takeUnretainedValue().parallelFor(5, context.1) { total, j in total.add(j) }
    }
    XCTAssertEqual(total.value, 40)
    total.free()
  }

  func testPoolsDeinitCleanly() {
    for _ in 0..<20 {
      let pool = ThreadPool(threads: 2)
      let sum = Counter()
      pool.parallelFor(10, sum) { sum, i in sum.add(i) }
      XCTAssertEqual(sum.value, 45)
      sum.free()
    }
    // A pool that never ran a loop (its worker is parked or spinning) also joins.
    _ = ThreadPool(threads: 3)
  }

  func testWorkersParkAfterIdleAndWakeAgain() {
    let pool = ThreadPool(threads: 2)
    let sum = Counter()
    pool.parallelFor(4, sum) { sum, i in sum.add(i) }
    usleep(20_000)  // long enough for the worker to stop spinning and park
    pool.parallelFor(4, sum) { sum, i in sum.add(i) }
    XCTAssertEqual(sum.value, 12)
    sum.free()
  }

  func testResultsIndependentOfThreadCount() {
    var rng = SeededRandom(seed: 9)
    let p = Conv2DParameters(
      batch: 2, inChannels: 9, inHeight: 15, inWidth: 17, outChannels: 21, kernelHeight: 3, kernelWidth: 3,
      strideHeight: 1, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    let input = rng.floats(p.inputCount), weights = rng.floats(p.geometry.weightCount), bias = rng.floats(21)
    var outputs: [[Float]] = []
    for threads in [1, 2, 3] {
      var out = [Float](repeating: 0, count: p.outputTensorCount)
      bias.withUnsafeBufferPointer { b in
        Kernels.conv2d(
          p, input: input, weights: weights, epilogue: Epilogue(bias: b.baseAddress, activation: .relu), output: &out,
          pool: ThreadPool(threads: threads))
      }
      outputs.append(out)
    }
    assertIdentical(outputs[1], outputs[0], "2 vs 1 threads")
    assertIdentical(outputs[2], outputs[0], "3 vs 1 threads")
  }
}
