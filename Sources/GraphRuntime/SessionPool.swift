import Synchronization

/// Sessions shared by concurrent callers: `run` takes an idle session (or makes one), runs,
/// and puts it back. A ``Session`` is for one thread at a time; a pool is `Sendable`, so under
/// Swift 6 strict concurrency one pool can be captured by many tasks or threads at once:
///
/// ```swift
/// let pool = try model.makeSessionPool()          // keep it as long as the model is used
/// try await withThrowingTaskGroup(of: [String: FloatTensor].self) { group in
///   for image in images { group.addTask { try await pool.run(image) } }
///   for try await outputs in group { … }
/// }
/// ```
///
/// From threads, call the synchronous `run`; from tasks, `await` the `async` one, which checks for
/// cancellation first. Either computes on the calling thread (and the session's own worker threads)
/// until the outputs are ready. For tasks that is the right place: inference is CPU work that never
/// waits on I/O, a lock held by another task or another task's result, and the cooperative pool
/// has a thread per core, so as many concurrent tasks as cores run that many inferences side by
/// side with no extra threads and no hop per call. Each call holds its thread for one inference
/// (LeNet: about 0.1 ms, ResNet-18 at 1 thread: about 50 ms); keep `threadsPerSession` at 1 when
/// the callers already fill the cores. Sessions are made on demand, so the pool grows to the number
/// of simultaneous callers; at most `maximumIdle` are kept between calls.
public final class SessionPool: Sendable {
  /// The model every session of the pool runs.
  public let model: CompiledModel
  /// Threads each session computes on (1 by default: concurrency comes from the callers).
  public let threadsPerSession: Int
  /// How many idle sessions (each with its arena) the pool keeps.
  public let maximumIdle: Int
  private let idle = Mutex<IdleSessions>(IdleSessions())

  /// The idle sessions, only ever touched under the pool's lock.
  private struct IdleSessions: @unchecked Sendable {
    var sessions: [Session] = []
  }

  init(model: CompiledModel, threadsPerSession: Int, maximumIdle: Int) {
    self.model = model
    self.threadsPerSession = threadsPerSession
    self.maximumIdle = maximumIdle
  }

  /// Runs the model on `inputs` (by name) in an idle session (see `Session.run(_:)`).
  public func run(_ inputs: [String: FloatTensor]) throws(RuntimeError) -> [String: FloatTensor] {
    try withSession { (session) throws(RuntimeError) in try session.run(inputs) }
  }

  /// Runs a model with one input on `input` in an idle session.
  public func run(_ input: FloatTensor) throws(RuntimeError) -> [String: FloatTensor] {
    try withSession { (session) throws(RuntimeError) in try session.run(input) }
  }

  /// `run(_:)` from async code: returns the outputs, or throws `CancellationError` when the
  /// task is cancelled before the run starts (a started run completes), or a ``RuntimeError``.
  public func run(_ inputs: [String: FloatTensor]) async throws -> [String: FloatTensor] {
    try Task.checkCancellation()
    return try withSession { (session) throws(RuntimeError) in try session.run(inputs) }
  }

  /// `run(_:)` for a model with one input, from async code (see the dictionary form).
  public func run(_ input: FloatTensor) async throws -> [String: FloatTensor] {
    try Task.checkCancellation()
    return try withSession { (session) throws(RuntimeError) in try session.run(input) }
  }

  /// Runs the model on `inputs` in an idle session, every output as its own type (see `Session.runTyped(_:)`).
  public func runTyped(_ inputs: [String: FloatTensor]) throws(RuntimeError) -> [String: TypedTensor] {
    try withSession { (session) throws(RuntimeError) in try session.runTyped(inputs) }
  }

  /// `runTyped(_:)` from async code: throws `CancellationError` when the task is cancelled before the run starts.
  public func runTyped(_ inputs: [String: FloatTensor]) async throws -> [String: TypedTensor] {
    try Task.checkCancellation()
    return try withSession { (session) throws(RuntimeError) in try session.runTyped(inputs) }
  }

  /// Sessions idle right now (for tests and monitoring).
  public var idleCount: Int { idle.withLock { $0.sessions.count } }

  /// `body` with an idle session (checked out, then back in).
  private func withSession<R>(_ body: (Session) throws(RuntimeError) -> R) throws(RuntimeError) -> R {
    let session = try checkOut()
    defer { checkIn(session) }
    return try body(session)
  }

  private func checkOut() throws(RuntimeError) -> Session {
    let reused = idle.withLock { (box: inout IdleSessions) -> UncheckedSession? in box.sessions.popLast().map(UncheckedSession.init) }
    if let reused { return reused.session }
    return try model.makeSession(threads: threadsPerSession)
  }

  private func checkIn(_ session: Session) {
    let returned = UncheckedSession(session: session)
    idle.withLock { box in
      if box.sessions.count < maximumIdle { box.sessions.append(returned.session) }
    }
  }

  /// A session handed between the lock and one caller: only one thread holds it at a time.
  private struct UncheckedSession: @unchecked Sendable {
    let session: Session
  }
}

extension CompiledModel {
  /// A pool of sessions for callers on several threads or tasks at once (see ``SessionPool``).
  /// Keep the pool while you use it: each idle session holds an arena sized for its largest batch.
  /// - Parameters:
  ///   - threadsPerSession: threads each session computes on (1 to 256).
  ///   - maximumIdle: sessions kept between calls (default: the usable cores).
  /// - Throws: ``RuntimeError/input(_:)`` for a thread count outside 1...256.
  public func makeSessionPool(threadsPerSession: Int = 1, maximumIdle: Int = Session.availableCores) throws(RuntimeError) -> SessionPool {
    guard (1...256).contains(threadsPerSession) else { throw .input("thread count \(threadsPerSession) must be between 1 and 256") }
    return SessionPool(model: self, threadsPerSession: threadsPerSession, maximumIdle: max(0, maximumIdle))
  }
}
