extension Plan {
  /// Checks that every view lies inside the arena, every weight range inside the
  /// weights, and every kernel's parameters agree with its operands, so kernels
  /// can index without further checks.
  /// - Parameter source: what error messages start with (the file name when there is one).
  /// - Throws: ``PlanError/format(_:)`` naming the first part that does not fit.
  public func validate(source: String = "plan") throws {
    func fail(_ what: String) -> PlanError { .format("\(source): \(what)") }
    guard arenaFloatsPerItem >= 0, arenaFloatsPerItem < 1 << 36 else { throw fail("arena size \(arenaFloatsPerItem) out of range") }
    if let b = fixedBatch, b <= 0 || b > 1 << 20 { throw fail("fixed batch \(b) must be between 1 and 2^20") }
    try provenance.validate(source: source)

    func check(_ v: View, _ what: String) throws {
      guard !v.dims.isEmpty || v.itemCount == 1, v.dims.allSatisfy({ $0 > 0 && $0 < 1 << 31 }) else {
        throw fail("\(what) has invalid dims \(v.dims)")
      }
      let (count, overflow) = v.dims.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
      }
      guard !overflow, v.inner >= 0, v.base >= 0, v.itemStride > 0,
        v.inner + count <= v.itemStride, v.base + v.itemStride <= arenaFloatsPerItem
      else { throw fail("\(what) (base \(v.base), stride \(v.itemStride), inner \(v.inner), dims \(v.dims)) lies outside the arena of \(arenaFloatsPerItem) floats per item") }
    }
    // The arena is exactly as large as its furthest buffer (rounded to 64 bytes), so a
    // corrupted size cannot make a session allocate far more than the plan uses.
    let views = inputs.map(\.view) + outputs.map(\.view) + steps.flatMap { $0.inputs + [$0.output] }
    let furthest = views.map { $0.base + $0.itemStride }.max() ?? 0
    guard arenaFloatsPerItem <= (furthest + 15) / 16 * 16 else {
      throw fail("arena of \(arenaFloatsPerItem) floats per item is larger than its buffers need (\(furthest))")
    }

    for binding in inputs { try check(binding.view, "input '\(binding.name)'") }
    for binding in outputs { try check(binding.view, "output '\(binding.name)'") }
    for step in steps {
      let label = "step '\(step.name)'"
      for (i, v) in step.inputs.enumerated() { try check(v, "\(label) input \(i)") }
      try check(step.output, "\(label) output")
      try step.kernel.step.validate(StepCheck(step: step, weightCount: weightCount, source: source))
    }
  }
}

