import GraphPlan

/// How values flow through a plan's arena: which write each read sees, and the
/// buffers (arena ranges with a lifetime) those writes form.
///
/// A plan only records views, so this is recovered from addresses: a step's
/// input reads the latest earlier writes that overlap it (several for an
/// in-place concat, whose slices different steps write). Addresses are compared
/// per batch item at batch 1, `base + inner ..< base + inner + count`.
struct PlanDataflow {
  /// Who wrote a range of the arena: a graph input (before step 0) or a step.
  enum Writer: Hashable {
    case input(Int)
    case step(Int)
  }

  struct Write {
    var writer: Writer
    var view: View
    /// Index of the first step that may see it: 0 for inputs, the step itself for steps (it is written there).
    var at: Int
    /// Steps reading it, ascending.
    var readers: [Int] = []
    /// Graph outputs read from it.
    var outputs: [Int] = []
  }

  /// One edge of the dataflow: `write` feeds input `slot` of step `step`.
  struct Read {
    var write: Int
    var step: Int
    var slot: Int
  }

  /// An arena range over a span of steps: the writes sharing a `base` and `itemStride` whose lifetimes touch.
  struct Buffer {
    var base: Int
    var itemStride: Int
    var first: Int
    var last: Int
    var writes: [Int]
  }

  let plan: Plan
  private(set) var writes: [Write] = []
  private(set) var reads: [Read] = []
  /// For each graph output, the writes it reads.
  private(set) var outputSources: [[Int]] = []
  private(set) var buffers: [Buffer] = []

  init(_ plan: Plan) {
    self.plan = plan
    for (i, binding) in plan.inputs.enumerated() { writes.append(Write(writer: .input(i), view: binding.view, at: 0)) }
    for (t, step) in plan.steps.enumerated() {
      // Reads happen before the step's own write.
      for (slot, view) in step.inputs.enumerated() {
        for w in sources(of: view, before: writes.count) {
          writes[w].readers.append(t)
          reads.append(Read(write: w, step: t, slot: slot))
        }
      }
      writes.append(Write(writer: .step(t), view: step.output, at: t))
    }
    for (o, binding) in plan.outputs.enumerated() {
      // An integer output is a constant the plan holds, written by no step.
      let found = binding.constant == nil ? sources(of: binding.view, before: writes.count) : []
      found.forEach { writes[$0].outputs.append(o) }
      outputSources.append(found)
    }
    buffers = groupBuffers()
  }

  static func range(_ v: View) -> Range<Int> { (v.base + v.inner)..<(v.base + v.inner + v.itemCount) }

  /// The latest writes among `writes[..<end]` that together cover `view`, in write order.
  private func sources(of view: View, before end: Int) -> [Int] {
    var uncovered = [Self.range(view)]
    var found: [Int] = []
    var w = end - 1
    while w >= 0 && !uncovered.isEmpty {
      let r = Self.range(writes[w].view)
      if uncovered.contains(where: { $0.overlaps(r) }) {
        found.append(w)
        uncovered = uncovered.flatMap { piece -> [Range<Int>] in
          guard piece.overlaps(r) else { return [piece] }
          var rest: [Range<Int>] = []
          if piece.lowerBound < r.lowerBound { rest.append(piece.lowerBound..<r.lowerBound) }
          if r.upperBound < piece.upperBound { rest.append(r.upperBound..<piece.upperBound) }
          return rest
        }
      }
      w -= 1
    }
    return found.reversed()
  }

  /// Step index of the last use of a write (the last step for graph outputs).
  func lastUse(_ w: Int) -> Int {
    let write = writes[w]
    var last = write.readers.last ?? write.at
    if !write.outputs.isEmpty { last = max(last, plan.steps.count - 1) }
    return max(last, write.at)
  }

  /// Writes with the same base and stride whose lifetimes overlap are one buffer
  /// (the slices of a concat; an in-place step); a later reuse of the range is another.
  private func groupBuffers() -> [Buffer] {
    struct Key: Hashable { var base: Int, stride: Int }
    var byKey: [Key: [Int]] = [:]
    for (i, w) in writes.enumerated() { byKey[Key(base: w.view.base, stride: w.view.itemStride), default: []].append(i) }
    var result: [Buffer] = []
    for (key, members) in byKey {
      let ordered = members.sorted { (writes[$0].at, $0) < (writes[$1].at, $1) }
      for w in ordered {
        let start = writes[w].at, end = lastUse(w)
        if var current = result.last, current.base == key.base, current.itemStride == key.stride, start <= current.last {
          current.last = max(current.last, end)
          current.writes.append(w)
          result[result.count - 1] = current
        } else {
          result.append(Buffer(base: key.base, itemStride: key.stride, first: start, last: end, writes: [w]))
        }
      }
    }
    return result.sorted { ($0.first, $0.base, $0.itemStride) < ($1.first, $1.base, $1.itemStride) }
  }

  /// The name of whoever wrote `w`: the graph input's or the step's.
  func name(of w: Int) -> String {
    switch writes[w].writer {
    case .input(let i): return plan.inputs[i].name
    case .step(let t): return plan.steps[t].name
    }
  }
}
