#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Scratch memory owned by the current thread, allocated on first use and kept
/// for the thread's life (freed when it exits). Kernels that pack operands use it
/// so that inference allocates nothing once every thread has run once.
///
/// Which thread runs which chunk of a parallel loop is not fixed: a worker may take no chunk
/// of the largest loop for many runs and then one. So the task slot also keeps the largest size
/// any thread has asked for, and each thread of a pool grows its buffer to it when it enters a
/// loop (``reserveLargestTaskRequest()``): once one run has finished, no thread allocates.
enum ThreadScratch {
  private final class Buffer {
    var pointer: UnsafeMutablePointer<Float>
    var count: Int

    init(count: Int) {
      self.count = count
      self.pointer = allocateFloats(count)
    }

    deinit { pointer.deallocate() }
  }

  /// Each thread has three buffers: one for work a task does alone (packing its own operands),
  /// one that a caller fills for all threads of a parallel loop to read (``Slot/shared``), and
  /// one for a convolution's zero-bordered copy of its input (``Slot/bordered``), which its
  /// GEMM's shared panels must not overwrite.
  enum Slot {
    case task, shared, bordered
  }

  private static func makeKey() -> pthread_key_t {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { raw in
      if let raw = optionalPointer(raw) { Unmanaged<Buffer>.fromOpaque(raw).release() }
    }
    precondition(rc == 0, "pthread_key_create failed: \(rc)")
    return key
  }

  private static let taskKey = makeKey()
  private static let sharedKey = makeKey()
  private static let borderedKey = makeKey()

  /// The largest task-slot request any thread has made.
  private static let largestTaskRequest = Atomic<Int>(0)

  /// Grows the calling thread's task buffer to the largest request any thread has made.
  /// (The shared and bordered slots are filled by the thread that issues a loop, outside it.)
  static func reserveLargestTaskRequest() {
    let count = largestTaskRequest.load(ordering: .relaxed)
    if count > 0 { _ = floats(count) }
  }

  private static func key(_ slot: Slot) -> pthread_key_t {
    switch slot {
    case .task: taskKey
    case .shared: sharedKey
    case .bordered: borderedKey
    }
  }

  /// At least `count` floats, 64-byte aligned, owned by the calling thread.
  /// Valid until the next call for the same slot on the same thread.
  static func floats(_ count: Int, slot: Slot = .task) -> UnsafeMutablePointer<Float> {
    let key = key(slot)
    if let raw = pthread_getspecific(key) {
      let buffer = Unmanaged<Buffer>.fromOpaque(raw).takeUnretainedValue()
      if buffer.count >= count { return buffer.pointer }
      Unmanaged<Buffer>.fromOpaque(raw).release()
    }
    if slot == .task { _ = largestTaskRequest.max(count, ordering: .relaxed) }
    let buffer = Buffer(count: count)
    pthread_setspecific(key, Unmanaged.passRetained(buffer).toOpaque())
    return buffer.pointer
  }
}
