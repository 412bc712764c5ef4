#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scratch memory owned by the current thread, allocated on first use and kept
/// for the thread's life (freed when it exits). Kernels that pack operands use it
/// so that inference allocates nothing once every thread has run once.
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

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { raw in
      if let raw { Unmanaged<Buffer>.fromOpaque(raw).release() }
    }
    precondition(rc == 0, "pthread_key_create failed: \(rc)")
    return key
  }()

  /// At least `count` floats, 64-byte aligned, private to the calling thread.
  /// Valid until the next call on the same thread.
  static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
    if let raw = pthread_getspecific(key) {
      let buffer = Unmanaged<Buffer>.fromOpaque(raw).takeUnretainedValue()
      if buffer.count >= count { return buffer.pointer }
      Unmanaged<Buffer>.fromOpaque(raw).release()
    }
    let buffer = Buffer(count: count)
    pthread_setspecific(key, Unmanaged.passRetained(buffer).toOpaque())
    return buffer.pointer
  }
}
