import Synchronization

/// Each thread's share of one `parallelFor` loop: thread `t` of `n` owns the indices
/// `t * count / n ..< (t + 1) * count / n`, takes them from the front, and once they are gone
/// takes the others' from the back.
///
/// A thread thus works on the same part of every loop of the same size: consecutive convs
/// split over output columns (pixels) find their input where they wrote it, in their own
/// cache. When the hypervisor put a VM's two vCPUs on different CCDs (a cache line from the
/// other core took 170 ns, not 33), indices dealt to whichever thread came first left half of
/// each conv's input in the other core's cache, and ResNet-50 at 2 threads ran about 50 ms
/// instead of 38 (onnxruntime, whose threads keep fixed blocks, 42). Taking from the back of
/// a late thread's share keeps the balance dealing had.
struct LoopShares: ~Copyable {
  /// `front | back << 32` of each thread's indices still to take, a cache line apart.
  private let slots: UnsafeMutablePointer<Atomic<UInt64>>
  private let threads: Int
  private static let slotStride = 8  // 64 bytes

  init(threads: Int) {
    self.threads = threads
    slots = .allocate(capacity: threads * Self.slotStride)
    for t in 0..<(threads * Self.slotStride) { (slots + t).initialize(to: Atomic(0)) }
  }

  deinit {
    slots.deinitialize(count: threads * Self.slotStride)
    slots.deallocate()
  }

  private func slot(_ t: Int) -> UnsafeMutablePointer<Atomic<UInt64>> { slots + t * Self.slotStride }

  /// Splits `0..<count` (below 2^32) into the threads' shares. Called before the loop is
  /// published (the release that publishes it orders these stores).
  func reset(count: Int) {
    precondition(count < 1 << 32, "a parallel loop of \(count) indices")
    for t in 0..<threads {
      slot(t).pointee.store(Self.pack(t * count / threads, (t + 1) * count / threads), ordering: .relaxed)
    }
  }

  /// Runs `body` on every index thread `thread` gets: runs of up to `run` from the front of its
  /// own share, then from the backs of the others'.
  func drain(thread: Int, run: Int, _ body: (Int) -> Void) {
    while let taken = take(from: thread, run: run, front: true) { for i in taken { body(i) } }
    for k in 1..<threads {
      let other = (thread + k) % threads
      while let taken = take(from: other, run: run, front: false) { for i in taken { body(i) } }
    }
  }

  private func take(from t: Int, run: Int, front: Bool) -> Range<Int>? {
    let slot = slot(t)
    var old = slot.pointee.load(ordering: .relaxed)
    while true {
      let (lo, hi) = Self.unpack(old)
      if lo >= hi { return nil }
      let taken = front ? lo..<min(hi, lo + run) : max(lo, hi - run)..<hi
      let new = front ? Self.pack(taken.upperBound, hi) : Self.pack(lo, taken.lowerBound)
      let (exchanged, original) = slot.pointee.compareExchange(expected: old, desired: new, ordering: .relaxed)
      if exchanged { return taken }
      old = original
    }
  }

  private static func pack(_ lo: Int, _ hi: Int) -> UInt64 { UInt64(lo) | UInt64(hi) << 32 }
  private static func unpack(_ v: UInt64) -> (Int, Int) { (Int(v & 0xffff_ffff), Int(v >> 32)) }
}
