#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPUFeatures
import Synchronization

/// A fixed set of persistent worker threads that run `parallelFor` loops.
///
/// The caller thread always takes part, so `ThreadPool(threads: 2)` starts one worker.
/// Idle workers spin on an atomic generation counter for up to ``PoolState/spinNanoseconds``
/// (during inference the next loop follows within microseconds, or after a step run on the
/// caller alone), then park on a condition variable. Deinitializing the pool stops and joins its workers.
///
/// Kernels split work by output rows or channels only, never a reduction, so results
/// do not depend on the thread count. A `parallelFor` issued while the pool is already
/// running a loop (from inside a loop body, or from another thread) runs inline on its
/// caller instead of deadlocking.
package final class ThreadPool: @unchecked Sendable {
  /// Number of threads that run loop bodies, the caller included.
  package let threads: Int

  private let state: PoolState
  private var workers: [pthread_t] = []

  /// Creates a pool running bodies on `threads` threads (the caller plus `threads - 1` workers).
  /// `threads <= 1` runs every loop inline on the caller.
  package init(threads: Int) {
    self.threads = max(1, threads)
    self.state = PoolState(workerCount: self.threads - 1)
    for index in 0..<(self.threads - 1) {
      let context = Unmanaged.passRetained(WorkerContext(state: state, index: index)).toOpaque()
      // Darwin's pthread_t is an optional pointer and its start routine's argument is not optional.
      #if canImport(Darwin)
        var thread: pthread_t? = nil
      #else
        var thread = pthread_t()
      #endif
      let rc = pthread_create(&thread, nil, { raw in
        let context = Unmanaged<WorkerContext>.fromOpaque(optionalPointer(raw)!).takeRetainedValue()
        context.state.workerLoop(thread: context.index + 1)
        return nil
      }, context)
      precondition(rc == 0, "pthread_create failed: \(rc)")
      #if canImport(Darwin)
        workers.append(thread!)
      #else
        workers.append(thread)
      #endif
    }
  }

  deinit {
    state.shutdown()
    for thread in workers { pthread_join(thread, nil) }
  }

  /// Runs `body(context, i)` for every `i` in `0..<count`, on the caller and the workers, and
  /// returns when all calls have finished. Each thread first takes its own share of the indices
  /// (the caller the first, worker `w` the `w + 1`-th; see ``LoopShares``), in increasing order,
  /// then helps with the others'. Indices go in runs of about `count / (8 * threads)`: a loop
  /// over 480 small planes would otherwise spend more time passing a shared counter between
  /// cores than in its bodies (GoogLeNet's max pools ran slower on two threads than on one).
  ///
  /// `body` should capture nothing and take what it needs from `context`: the loop then
  /// allocates nothing (the context stays on the caller's stack, a non-capturing closure
  /// has no context to allocate), which is how a session runs without allocating.
  ///
  /// The context is `BitwiseCopyable`: each index gets its own copy, and a copy of an array,
  /// a class or a function value retains it, so two threads would contend for its reference
  /// count (an average pool whose context held its tap arrays ran 3x slower on two threads
  /// than on one). Pass such things by pointer (`withUnsafePointer`) and read them through
  /// `.pointee` without copying them out.
  package func parallelFor<Context: BitwiseCopyable>(_ count: Int, _ context: Context, _ body: @escaping (Context, Int) -> Void) {
    if count <= 0 { return }
    if threads == 1 || count == 1 {
      for i in 0..<count { body(context, i) }
      return
    }
    guard state.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      for i in 0..<count { body(context, i) }
      return
    }
    withUnsafePointer(to: Loop(context: context, body: body)) { loop in
      state.run(count: count, loop: UnsafeRawPointer(loop), invoke: Loop<Context>.invoke)
    }
    state.busy.store(false, ordering: .releasing)
  }
}

/// A pthread callback's argument as an optional: it is one on Linux, not on Darwin.
@inline(__always)
func optionalPointer(_ p: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { p }

/// One `parallelFor` loop, on the caller's stack while the loop runs: workers reach it
/// through a raw pointer and the non-generic `invoke`.
private struct Loop<Context> {
  let context: Context
  let body: (Context, Int) -> Void

  static func invoke(_ raw: UnsafeRawPointer, _ i: Int) {
    let loop = raw.assumingMemoryBound(to: Loop<Context>.self)
    loop.pointee.body(loop.pointee.context, i)
  }
}

/// What a worker thread needs; holds the shared state, not the pool, so the pool can deinit.
private final class WorkerContext {
  let state: PoolState
  let index: Int
  init(state: PoolState, index: Int) {
    self.state = state
    self.index = index
  }
}

/// Shared between the pool's owner and its workers.
private final class PoolState: @unchecked Sendable {
  let workerCount: Int
  /// Bumped once per loop (and once at shutdown); workers wait for it to change.
  let generation = Atomic<Int>(0)
  /// Which thread takes which indices of the current loop.
  let shares: LoopShares
  /// Workers that have finished the current generation.
  let finishedWorkers = Atomic<Int>(0)
  let stopping = Atomic<Bool>(false)
  /// Set while a loop is running; a second `parallelFor` then runs inline.
  let busy = Atomic<Bool>(false)

  // The current loop; written before `generation` is bumped (release) and read after
  // observing the bump (acquire). Stays valid until every worker has finished.
  var count = 0
  var loop: UnsafeRawPointer?
  var invoke: ((UnsafeRawPointer, Int) -> Void)?

  let mutex: UnsafeMutablePointer<pthread_mutex_t>
  let condition: UnsafeMutablePointer<pthread_cond_t>

  /// How long an idle worker spins before it parks. Waking a parked thread costs tens of
  /// microseconds (a futex, and on a VM an interrupt to a halted virtual CPU), and the worker
  /// joins the loop that late: a fixed 20,000 spins (a few tens of microseconds) let workers
  /// park between GoogLeNet's and ResNet's steps. Half a millisecond covers the gaps inside an
  /// inference and costs little CPU after the last one.
  static let spinNanoseconds: UInt64 = 500_000
  /// Spins between clock reads.
  static let spinsPerClockRead = 64

  init(workerCount: Int) {
    self.workerCount = workerCount
    shares = LoopShares(threads: workerCount + 1)
    mutex = .allocate(capacity: 1)
    condition = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    pthread_cond_destroy(condition)
    mutex.deallocate()
    condition.deallocate()
  }

  func run(count: Int, loop: UnsafeRawPointer, invoke: @escaping (UnsafeRawPointer, Int) -> Void) {
    self.count = count
    self.loop = loop
    self.invoke = invoke
    shares.reset(count: count)
    finishedWorkers.store(0, ordering: .relaxed)
    generation.add(1, ordering: .releasing)
    wakeAll()
    ThreadScratch.reserveLargestTaskRequest()
    drain(thread: 0, count: count, loop: loop, invoke: invoke)
    // Wait until every worker has let go of this loop before it goes out of scope.
    var spin = Spin()
    while finishedWorkers.load(ordering: .acquiring) < workerCount {
      if spin.isOver() { sched_yield() } else { graphc_spin_pause() }
    }
    self.loop = nil
    self.invoke = nil
  }

  func shutdown() {
    stopping.store(true, ordering: .relaxed)
    generation.add(1, ordering: .releasing)
    wakeAll()
  }

  private func wakeAll() {
    // Taking the mutex orders this broadcast after any worker's check-then-wait.
    pthread_mutex_lock(mutex)
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }

  private func drain(thread: Int, count: Int, loop: UnsafeRawPointer, invoke: (UnsafeRawPointer, Int) -> Void) {
    shares.drain(thread: thread, run: max(1, count / (8 * (workerCount + 1)))) { invoke(loop, $0) }
  }

  /// - Parameter thread: the worker's share of each loop (the caller's is 0).
  func workerLoop(thread: Int) {
    var seen = 0
    while true {
      var current = generation.load(ordering: .acquiring)
      var spin = Spin()
      while current == seen && !spin.isOver() {
        graphc_spin_pause()
        current = generation.load(ordering: .acquiring)
      }
      if current == seen {
        pthread_mutex_lock(mutex)
        current = generation.load(ordering: .acquiring)
        while current == seen {
          pthread_cond_wait(condition, mutex)
          current = generation.load(ordering: .acquiring)
        }
        pthread_mutex_unlock(mutex)
      }
      seen = current
      if stopping.load(ordering: .relaxed) { return }
      ThreadScratch.reserveLargestTaskRequest()
      drain(thread: thread, count: count, loop: loop!, invoke: invoke!)
      finishedWorkers.add(1, ordering: .releasing)
    }
  }
}

/// A spin-wait's budget of ``PoolState/spinNanoseconds``, checked on the clock every
/// ``PoolState/spinsPerClockRead`` spins.
private struct Spin {
  private var spins = 0
  private var deadline: UInt64 = 0

  mutating func isOver() -> Bool {
    spins += 1
    if spins % PoolState.spinsPerClockRead != 0 { return false }
    let now = monotonicNanoseconds()
    if deadline == 0 { deadline = now + PoolState.spinNanoseconds }
    return now >= deadline
  }
}
