import Dispatch
import Foundation
import GraphRuntime

/// Dynamic batching for one model: requests wait in a queue; each worker thread (one per
/// session, `instances` of them) takes as many waiting requests as fit in `maxBatch`
/// items, after waiting up to `maxQueueDelay` for more to arrive, runs them as one batch
/// and hands each request its own slice of the outputs.
///
/// The plan runs every batch item independently of the others, so a request's outputs
/// are bit-identical whether it ran alone or inside a batch (tested). Compute runs on
/// the workers' own threads, never on the server's event loops or Swift's cooperative pool.
public final class BatchQueue: @unchecked Sendable {
  public struct Options: Sendable {
    /// Most batch items run together; a request larger than this runs alone. 1 turns batching off.
    public var maxBatch: Int
    /// How long the first waiting request may wait for others to join its batch.
    public var maxQueueDelayMicroseconds: Int
    /// Sessions (worker threads) for this model.
    public var instances: Int
    /// Kernel threads per session.
    public var threads: Int

    public init(maxBatch: Int = 8, maxQueueDelayMicroseconds: Int = 0, instances: Int = 1, threads: Int = 1) {
      self.maxBatch = maxBatch
      self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
      self.instances = instances
      self.threads = threads
    }
  }

  /// A request's outputs (by model output index, `[batch] + item shape` values each) and how it went.
  public struct Result: Sendable {
    public var outputs: [OutputValues]
    public var queueNanoseconds: UInt64
    public var computeNanoseconds: UInt64
    /// Items in the batch this request ran in (its own and others').
    public var batchSize: Int
  }

  /// Called on a worker after each batch: its item count and compute time.
  public typealias BatchObserver = @Sendable (_ items: Int, _ computeNanoseconds: UInt64) -> Void

  public let options: Options
  let signature: ModelSignature
  private let condition = NSCondition()
  private var pending: [Job] = []
  private var stopping = false
  private let stopped = DispatchGroup()
  private let observer: BatchObserver?

  /// Starts `options.instances` workers, each with its own session of `model`.
  public init(model: CompiledModel, options: Options, observer: BatchObserver? = nil) throws(RuntimeError) {
    self.options = options
    self.signature = ModelSignature(model)
    self.observer = observer
    var sessions: [Session] = []
    for _ in 0..<max(1, options.instances) {
      // Every kernel computes an item the same way in any batch: a request's bits do not
      // depend on what it was batched with.
      sessions.append(try model.makeSession(threads: options.threads))
    }
    for (i, session) in sessions.enumerated() {
      let worker = UncheckedSession(session: session)
      stopped.enter()
      let thread = Thread { [self] in
        work(worker.session)
        stopped.leave()
      }
      thread.name = "batch-\(i)"
      thread.start()
    }
  }

  /// Runs `inputs` (each `[batch] + item shape` values, in the model's input order) in the
  /// next batch that has room.
  /// - Parameter timeout: fail with 503 if the request has not started computing by then.
  /// - Throws: ``ServingError`` 503 on timeout, cancellation or shutdown; 500 if the model fails.
  public func submit(_ inputs: [[Float]], batch: Int, timeout: Duration?) async throws(ServingError) -> Result {
    let job = Job(inputs: inputs, batch: batch)
    let timer = timeout.map { timeout in
      Task { [weak self] in
        try await Task.sleep(for: timeout)
        self?.cancel(job, .unavailable("timed out after \(timeout) waiting in the queue"))
      }
    }
    defer { timer?.cancel() }
    do {
      return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
          condition.lock()
          defer { condition.unlock() }
          if let failure = job.failure ?? (stopping ? .unavailable("the server is shutting down") : nil) {
            continuation.resume(throwing: failure)
            return
          }
          job.continuation = continuation
          job.enqueued = DispatchTime.now().uptimeNanoseconds
          pending.append(job)
          condition.broadcast()
        }
      } onCancel: {
        cancel(job, .unavailable("the request was cancelled"))
      }
    } catch let error as ServingError {
      throw error
    } catch {
      throw .internalError("\(error)")
    }
  }

  /// Fails `job` with `error` unless a worker has already taken it.
  private func cancel(_ job: Job, _ error: ServingError) {
    condition.lock()
    defer { condition.unlock() }
    if let index = pending.firstIndex(where: { $0 === job }) {
      pending.remove(at: index)
      job.continuation?.resume(throwing: error)
      job.continuation = nil
    } else if job.continuation == nil {
      job.failure = error  // not queued yet: submit sees this and fails at once
    }
  }

  /// Requests waiting, for the metrics.
  public var queuedRequests: Int {
    condition.lock()
    defer { condition.unlock() }
    return pending.count
  }

  /// Lets the workers finish what is queued, then stops them; new submissions fail with 503.
  public func shutdown() async {
    stop()
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      stopped.notify(queue: .global()) { done.resume() }
    }
  }

  private func stop() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
  }

  // MARK: - Workers

  private func work(_ session: Session) {
    while let jobs = nextBatch() {
      run(jobs, on: session)
    }
  }

  /// Waits for work, then for the batch to fill or the first request's delay to pass;
  /// returns the requests to run together, or nil once stopping with nothing queued.
  private func nextBatch() -> [Job]? {
    condition.lock()
    defer { condition.unlock() }
    while pending.isEmpty {
      if stopping { return nil }
      condition.wait()
    }
    let limit = signature.fixedBatch == nil ? options.maxBatch : 1
    if options.maxQueueDelayMicroseconds > 0 {
      while !stopping, !pending.isEmpty, pending.reduce(0, { $0 + $1.batch }) < limit {
        let deadline = pending[0].enqueued + UInt64(options.maxQueueDelayMicroseconds) * 1000
        let now = DispatchTime.now().uptimeNanoseconds
        if now >= deadline { break }
        _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
      }
      if pending.isEmpty { return stopping ? nil : [] }  // the waiting requests were cancelled
    }
    var taken = [pending[0]]
    var items = pending[0].batch
    while taken.count < pending.count, items + pending[taken.count].batch <= limit {
      items += pending[taken.count].batch
      taken.append(pending[taken.count])
    }
    pending.removeFirst(taken.count)
    return taken
  }

  private func run(_ jobs: [Job], on session: Session) {
    guard !jobs.isEmpty else { return }
    let start = DispatchTime.now().uptimeNanoseconds
    let items = jobs.reduce(0) { $0 + $1.batch }
    let outcome: Swift.Result<[OutputValues], ServingError>
    do {
      var feeds: [String: FloatTensor] = [:]
      for (i, input) in signature.inputs.enumerated() {
        let values = jobs.count == 1 ? jobs[0].inputs[i] : jobs.flatMap { $0.inputs[i] }
        feeds[input.name] = try FloatTensor(shape: [items] + input.itemShape, values: values)
      }
      let results = try session.runTyped(feeds)
      outcome = .success(signature.outputs.map { OutputValues(results[$0.name]!) })
    } catch let error as RuntimeError {
      outcome = .failure(.internalError(error.message))
    } catch {
      outcome = .failure(.internalError("\(error)"))
    }
    let end = DispatchTime.now().uptimeNanoseconds
    observer?(items, end - start)
    var offset = 0
    for job in jobs {
      let result = outcome.map { outputs in
        signature.outputs.enumerated().map { i, output in
          let n = output.itemCount
          return jobs.count == 1 ? outputs[i] : outputs[i].elements(offset * n..<(offset + job.batch) * n)
        }
      }
      offset += job.batch
      condition.lock()
      let continuation = job.continuation
      job.continuation = nil
      condition.unlock()
      switch result {
      case .success(let outputs):
        continuation?.resume(
          returning: Result(outputs: outputs, queueNanoseconds: start - job.enqueued, computeNanoseconds: end - start, batchSize: items)
        )
      case .failure(let error): continuation?.resume(throwing: error)
      }
    }
  }

  /// One request in the queue. Mutable state is guarded by the queue's condition lock.
  private final class Job: @unchecked Sendable {
    let inputs: [[Float]]
    let batch: Int
    var enqueued: UInt64 = 0
    var continuation: CheckedContinuation<Result, any Error>?
    var failure: ServingError?

    init(inputs: [[Float]], batch: Int) {
      self.inputs = inputs
      self.batch = batch
    }
  }

  /// A session handed to the one worker thread that uses it.
  private struct UncheckedSession: @unchecked Sendable { let session: Session }
}
