import GraphCompiler
import GraphIR
import GraphRuntime
import Synchronization
import XCTest

@testable import GraphServing

final class BatchQueueTests: XCTestCase {
  /// The largest batch the queue ran, and how many it ran.
  final class Batches: Sendable {
    let sizes = Mutex<[Int]>([])
    var observer: BatchQueue.BatchObserver { { items, _ in self.sizes.withLock { $0.append(items) } } }
  }

  func queue(_ options: BatchQueue.Options, _ batches: Batches? = nil) throws -> BatchQueue {
    try BatchQueue(model: CompiledModel(contentsOfFile: ServingFixture.planPath), options: options, observer: batches?.observer)
  }

  /// Runs 12 concurrent requests of `sizes` items through a queue of `maxBatch` and returns
  /// each request's outputs beside what a session gives for its images alone, and the batch sizes run.
  func concurrentRequests(maxBatch: Int, sizes: [Int]) async throws -> (pairs: [([Float], [Float])], batches: [Int]) {
    let batches = Batches()
    let queue = try queue(.init(maxBatch: maxBatch, maxQueueDelayMicroseconds: 200_000, instances: 1, threads: 2), batches)
    let requests = (0..<12).map { i in (batch: sizes[i % sizes.count], images: ServingFixture.images(batch: sizes[i % sizes.count], seed: UInt64(i))) }
    let results = try await withThrowingTaskGroup(of: (Int, BatchQueue.Result).self) { group in
      for (i, r) in requests.enumerated() {
        group.addTask { (i, try await queue.submit([r.images], batch: r.batch, timeout: nil)) }
      }
      var results = [BatchQueue.Result?](repeating: nil, count: requests.count)
      for try await (i, result) in group { results[i] = result }
      return results.map { $0! }
    }
    await queue.shutdown()
    let sizesRun = batches.sizes.withLock { $0 }
    XCTAssertEqual(sizesRun.reduce(0, +), requests.reduce(0) { $0 + $1.batch }, "every item ran once")
    XCTAssertGreaterThan(sizesRun.max() ?? 0, sizes.max()!, "some batch joined several requests: \(sizesRun)")
    XCTAssertTrue(sizesRun.allSatisfy { $0 <= maxBatch }, "\(sizesRun)")
    return (try zip(requests, results).map { r, result in
      XCTAssertLessThanOrEqual(result.batchSize, maxBatch)
      return (result.outputs[0].floats(), try ServingFixture.alone(r.images, batch: r.batch))
    }, sizesRun)
  }

  /// Concurrent requests are run together (up to 8 items) and each gets exactly the bits a
  /// session gives for its images alone: the runtime computes every item independently of
  /// the batch it runs in.
  func testBatchedResultsAreBitIdenticalToEachRequestAlone() async throws {
    let (pairs, batches) = try await concurrentRequests(maxBatch: 8, sizes: [1, 3, 2])
    XCTAssertTrue(batches.contains { $0 > 4 }, "a batch past the runtime's small-batch kernels: \(batches)")
    for (batched, alone) in pairs { XCTAssertEqual(batched.map(\.bitPattern), alone.map(\.bitPattern)) }
  }

  func testARequestLargerThanMaxBatchRunsAlone() async throws {
    let batches = Batches()
    let queue = try queue(.init(maxBatch: 2, instances: 1, threads: 1), batches)
    let images = ServingFixture.images(batch: 5, seed: 99)
    let result = try await queue.submit([images], batch: 5, timeout: nil)
    XCTAssertEqual(result.outputs[0].floats().map(\.bitPattern), try ServingFixture.alone(images, batch: 5).map(\.bitPattern))
    XCTAssertEqual(batches.sizes.withLock { $0 }, [5])
    await queue.shutdown()
  }

  /// A request still queued when its timeout passes fails with 503, and the queue goes on serving.
  func testTimeoutInTheQueueIs503() async throws {
    let queue = try queue(.init(maxBatch: 64, maxQueueDelayMicroseconds: 2_000_000, instances: 1, threads: 1))
    let images = ServingFixture.images(batch: 1, seed: 1)
    let start = ContinuousClock.now
    do {
      _ = try await queue.submit([images], batch: 1, timeout: .milliseconds(50))
      XCTFail("expected a timeout")
    } catch {
      XCTAssertEqual(error.status, 503)
      XCTAssertTrue(error.message.hasPrefix("timed out after"), error.message)
    }
    XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(1500), "failed before the batch delay ran out")
    XCTAssertEqual(queue.queuedRequests, 0)
    await queue.shutdown()
  }

  func testCancelledRequestLeavesTheQueue() async throws {
    let queue = try queue(.init(maxBatch: 64, maxQueueDelayMicroseconds: 2_000_000, instances: 1, threads: 1))
    let task = Task { try await queue.submit([ServingFixture.images(batch: 1, seed: 1)], batch: 1, timeout: nil) }
    try await Task.sleep(for: .milliseconds(50))
    task.cancel()
    do {
      _ = try await task.value
      XCTFail("expected cancellation")
    } catch let error as ServingError {
      XCTAssertEqual(error, .unavailable("the request was cancelled"))
    }
    XCTAssertEqual(queue.queuedRequests, 0)
    await queue.shutdown()
  }

  func testShutdownFinishesTheQueueThenRefuses() async throws {
    let queue = try queue(.init(maxBatch: 4, maxQueueDelayMicroseconds: 100_000, instances: 2, threads: 1))
    let images = ServingFixture.images(batch: 1, seed: 5)
    let pending = Task { try await queue.submit([images], batch: 1, timeout: nil) }
    try await Task.sleep(for: .milliseconds(20))
    await queue.shutdown()
    let result = try await pending.value
    XCTAssertEqual(result.outputs[0].floats().map(\.bitPattern), try ServingFixture.alone(images, batch: 1).map(\.bitPattern), "queued work finished")
    do {
      _ = try await queue.submit([images], batch: 1, timeout: nil)
      XCTFail("expected a refusal")
    } catch {
      XCTAssertEqual(error, .unavailable("the server is shutting down"))
    }
  }
}

/// A model whose outputs are not all float32 is served in their own types, and a request's share
/// of a batched bool output is its own items' bytes.
final class TypedOutputQueueTests: XCTestCase {
  /// `positive = Greater(x, 0)` (bool), `y = Relu(x)` (float32) and `best = ArgMax(x, axis 1)`
  /// (int64 computed at run time) for x of shape [N, 4].
  static func model() throws -> CompiledModel {
    let builder = GraphBuilder(name: "typed")
    let x = builder.input("x", ["N", 4])
    let zero = builder.constant("zero", Tensor(scalar: 0))
    builder.output(builder.node("Greater", name: "positive", inputs: [x, zero], attributes: [:]))
    builder.output(builder.node("Relu", name: "y", inputs: [x], attributes: [:]))
    builder.output(builder.node("ArgMax", name: "best", inputs: [x], attributes: ["axis": .int(1), "keepdims": .int(0)]))
    let compiled = try Pipeline.compile(Model(graph: builder.build(), opsetImports: ["": 13]))
    return try CompiledModel(plan: compiled.plan, weights: compiled.weights)
  }

  func testBoolOutputsAreSlicedPerRequest() async throws {
    let model = try Self.model()
    let served = try ServedModel(name: "typed", model: model, labels: nil, options: .init(maxBatch: 8, maxQueueDelayMicroseconds: 200_000))
    XCTAssertEqual(served.signature.outputs.map(\.datatype), [.bool, .fp32, .int64])
    let metadata = try JSONParser.parse(served.metadata[...])
    guard case .array(let outputs)? = metadata["outputs"] else { return XCTFail("outputs") }
    XCTAssertEqual(outputs.map { $0["datatype"] }, [.string("BOOL"), .string("FP32"), .string("INT64")])
    let requests: [[Float]] = [[1, -1, 0, 2], [-3, 4, 5, -0.5, 0, 0, 7, -7], [0.25, -0.25, 9, -9]]
    let results = try await withThrowingTaskGroup(of: (Int, BatchQueue.Result).self) { group in
      for (i, values) in requests.enumerated() {
        group.addTask { (i, try await served.queue.submit([values], batch: values.count / 4, timeout: nil)) }
      }
      var results = [BatchQueue.Result?](repeating: nil, count: requests.count)
      for try await (i, result) in group { results[i] = result }
      return results.map { $0! }
    }
    await served.queue.shutdown()
    XCTAssertTrue(results.contains { $0.batchSize > 2 }, "some requests ran together: \(results.map(\.batchSize))")
    for (values, result) in zip(requests, results) {
      XCTAssertEqual(result.outputs[0].datatype, .bool)
      XCTAssertEqual(result.outputs[0].bytes, values.map { $0 > 0 ? 1 : 0 })
      XCTAssertEqual(result.outputs[1].floats(), values.map { max($0, 0) })
      let rows = stride(from: 0, to: values.count, by: 4).map { Array(values[$0..<($0 + 4)]) }
      let best = rows.map { row in Int64(row.firstIndex(of: row.max()!)!) }
      XCTAssertEqual(result.outputs[2].datatype, .int64)
      XCTAssertEqual(result.outputs[2].bytes, best.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } })
    }
  }
}
