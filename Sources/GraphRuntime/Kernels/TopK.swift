import GraphPlan

extension Kernels {
  /// The `k` largest (or smallest) values of each of `rows` rows of `length` floats, in order,
  /// or their indices as floats (`Reference.topK` is the oracle). Each row keeps a sorted list of
  /// its best `k` so far, and skips 16 values at a time that none beats the list's last entry
  /// (most of a row, for small k); a `k` over 64 sorts the row's indices instead. The indices
  /// live in the thread's scratch, so a long row allocates nothing once the model has run.
  package static func topK(
    rows: Int, length: Int, k: Int, largest: Bool, indices: Bool, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil
  ) {
    let perChunk = max(1, 16_384 / max(length, 1)), chunks = (rows + perChunk - 1) / perChunk
    parallelFor(pool, chunks, (rows, length, k, largest, indices, perChunk, input, output)) { context, chunk in
      let (rows, length, k, largest, indices, perChunk, input, output) = context
      let capacity = k > 64 ? length : k
      let floatsPerInt = MemoryLayout<Int>.stride / MemoryLayout<Float>.stride
      let scratch = UnsafeMutableRawPointer(ThreadScratch.floats(capacity * floatsPerInt))
      let best = UnsafeMutableBufferPointer(start: scratch.bindMemory(to: Int.self, capacity: capacity), count: capacity)
      for row in chunk * perChunk..<min(rows, (chunk + 1) * perChunk) {
        let x = input + row * length
        if k > 64 { sortRow(x, length, largest, best) } else { selectRow(x, length, k, largest, best) }
        let out = output + row * k
        for i in 0..<k { out[i] = indices ? Float(best[i]) : x[best[i]] }
      }
    }
  }

  /// Whether value `a` at index `i` comes before `b` at `j`: NaN ranks above every number (first
  /// among the largest, last among the smallest), ties by index.
  @inline(__always)
  static func topKPrecedes(_ a: Float, _ i: Int, _ b: Float, _ j: Int, largest: Bool) -> Bool {
    if a.isNaN != b.isNaN { return a.isNaN == largest }
    if !a.isNaN, a != b { return largest ? a > b : a < b }
    return i < j
  }

  /// The best `k` indices of the row into `best`, in order, by insertion into a sorted list.
  @inline(__always)
  private static func selectRow(_ x: UnsafePointer<Float>, _ length: Int, _ k: Int, _ largest: Bool, _ best: UnsafeMutableBufferPointer<Int>) {
    var count = 0, i = 0
    while i < length {
      if count == k, i + 16 <= length {
        // A later index never wins a tie, so a chunk matters only if a value beats the last entry or is NaN.
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self), last = x[best[k - 1]]
        if !last.isNaN, !any((largest ? v .> last : v .< last) .| (v .!= v)) {
          i += 16
          continue
        }
      }
      let value = x[i]
      if count < k || topKPrecedes(value, i, x[best[k - 1]], best[k - 1], largest: largest) {
        // Later than every equal entry, so it goes after the entries it does not precede.
        var lo = 0, hi = count
        while lo < hi {
          let mid = (lo + hi) / 2
          if topKPrecedes(value, i, x[best[mid]], best[mid], largest: largest) { hi = mid } else { lo = mid + 1 }
        }
        var j = min(count, k - 1)
        while j > lo {
          best[j] = best[j - 1]
          j -= 1
        }
        best[lo] = i
        count = min(count + 1, k)
      }
      i += 1
    }
  }

  /// Every index of the row into `best`, sorted: a heapsort, in place (the standard library's
  /// sort takes a temporary buffer, which a long row would allocate on every run).
  private static func sortRow(_ x: UnsafePointer<Float>, _ length: Int, _ largest: Bool, _ best: UnsafeMutableBufferPointer<Int>) {
    for i in 0..<length { best[i] = i }
    @inline(__always) func before(_ a: Int, _ b: Int) -> Bool { topKPrecedes(x[a], a, x[b], b, largest: largest) }
    // A heap whose root comes last in the order; each root in turn goes to the end.
    func siftDown(_ start: Int, _ end: Int) {
      var root = start
      while 2 * root + 1 < end {
        var child = 2 * root + 1
        if child + 1 < end, before(best[child], best[child + 1]) { child += 1 }
        guard before(best[root], best[child]) else { return }
        best.swapAt(root, child)
        root = child
      }
    }
    for start in stride(from: length / 2 - 1, through: 0, by: -1) { siftDown(start, length) }
    for end in stride(from: length - 1, to: 0, by: -1) {
      best.swapAt(0, end)
      siftDown(0, end)
    }
  }
}
