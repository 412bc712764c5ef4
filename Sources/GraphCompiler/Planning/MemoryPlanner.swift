/// Assigns arena offsets to buffers with known lifetimes.
///
/// Tries several greedy orders (as Glow does) and keeps the smallest arena;
/// stops early when one reaches the lower bound: the largest total size of the
/// buffers alive at any one step.
public enum MemoryPlanner {
  public struct Buffer: Equatable, Sendable {
    public var size: Int
    /// First and last step (inclusive) during which the buffer must hold its data.
    public var firstStep: Int
    public var lastStep: Int

    public init(size: Int, firstStep: Int, lastStep: Int) {
      self.size = size
      self.firstStep = firstStep
      self.lastStep = lastStep
    }

    func overlaps(_ other: Buffer) -> Bool {
      firstStep <= other.lastStep && other.firstStep <= lastStep
    }
  }

  public struct Result: Equatable, Sendable {
    public var offsets: [Int]
    public var arenaSize: Int
    public var lowerBound: Int
    /// Size with no reuse at all: the sum of every buffer.
    public var naiveSize: Int
    public var strategy: String
  }

  public static func plan(_ buffers: [Buffer]) -> Result {
    let bound = lowerBound(buffers)
    let naive = buffers.map(\.size).reduce(0, +)
    let strategies: [(String, (Int, Int) -> Bool)] = [
      ("greedy-by-size", { (a: Int, b: Int) in (buffers[a].size, buffers[b].firstStep) > (buffers[b].size, buffers[a].firstStep) }),
      ("greedy-by-area", { (a: Int, b: Int) in
        buffers[a].size * (buffers[a].lastStep - buffers[a].firstStep + 1) > buffers[b].size * (buffers[b].lastStep - buffers[b].firstStep + 1) }),
      ("in-order", { (a: Int, b: Int) in (buffers[a].firstStep, -buffers[a].size) < (buffers[b].firstStep, -buffers[b].size) }),
      ("longest-first", { (a: Int, b: Int) in
        (buffers[a].lastStep - buffers[a].firstStep, buffers[a].size) > (buffers[b].lastStep - buffers[b].firstStep, buffers[b].size) }),
    ]
    var best: Result? = nil
    for (name, order) in strategies {
      let offsets = place(buffers, order: buffers.indices.sorted(by: order))
      let size = zip(buffers, offsets).map { $0.size + $1 }.max() ?? 0
      if best == nil || size < best!.arenaSize {
        best = Result(offsets: offsets, arenaSize: size, lowerBound: bound, naiveSize: naive, strategy: name)
      }
      if size == bound { break }
    }
    return best!
  }

  /// The largest sum of sizes of buffers alive at the same step.
  public static func lowerBound(_ buffers: [Buffer]) -> Int {
    guard let last = buffers.map(\.lastStep).max(), let first = buffers.map(\.firstStep).min() else { return 0 }
    var delta = [Int](repeating: 0, count: last - first + 2)
    for b in buffers {
      delta[b.firstStep - first] += b.size
      delta[b.lastStep - first + 1] -= b.size
    }
    var live = 0, peak = 0
    for d in delta { live += d; peak = max(peak, live) }
    return peak
  }

  /// Places buffers in `order`, each in the smallest gap that fits among the
  /// already-placed buffers alive at the same time (best fit), else on top.
  ///
  /// Placed buffers are listed under every step they live at, so finding the ones a new
  /// buffer overlaps looks only at its own steps (a 100k-step chain took a minute when
  /// every placed buffer was compared with every new one).
  static func place(_ buffers: [Buffer], order: [Int]) -> [Int] {
    var offsets = [Int](repeating: -1, count: buffers.count)
    guard let first = buffers.map(\.firstStep).min(), let last = buffers.map(\.lastStep).max() else { return offsets }
    var aliveAt = [[Int]](repeating: [], count: last - first + 1)
    var seenFor = [Int](repeating: -1, count: buffers.count)
    for i in order {
      let b = buffers[i]
      var conflicts: [(Int, Int)] = []
      for step in b.firstStep...b.lastStep {
        for j in aliveAt[step - first] where seenFor[j] != i {
          seenFor[j] = i
          conflicts.append((offsets[j], offsets[j] + buffers[j].size))
        }
      }
      conflicts.sort { $0.0 < $1.0 }
      var bestOffset: Int? = nil, bestGap = Int.max
      var cursor = 0
      for (start, end) in conflicts {
        if start - cursor >= b.size && start - cursor < bestGap {
          bestGap = start - cursor
          bestOffset = cursor
        }
        cursor = max(cursor, end)
      }
      offsets[i] = bestOffset ?? cursor
      for step in b.firstStep...b.lastStep { aliveAt[step - first].append(i) }
    }
    return offsets
  }
}
