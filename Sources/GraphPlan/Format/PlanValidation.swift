extension Plan {
  /// Checks that every view lies inside the arena, every weight range inside the
  /// weights, and every kernel's parameters agree with its operands, so kernels
  /// can index without further checks.
  /// - Parameter source: what error messages start with (the file name when there is one).
  /// - Throws: ``PlanError/format(_:)`` naming the first part that does not fit.
  public func validate(source: String = "plan") throws {
    func fail(_ what: String) -> PlanError { .format("\(source): \(what)") }
    guard arenaFloatsPerItem >= 0, arenaFloatsPerItem < 1 << 36 else { throw fail("arena size \(arenaFloatsPerItem) out of range") }
    guard arenaFixedFloats >= 0, arenaFixedFloats < 1 << 36 else { throw fail("fixed arena size \(arenaFixedFloats) out of range") }
    if let b = fixedBatch, b <= 0 || b > 1 << 20 { throw fail("fixed batch \(b) must be between 1 and 2^20") }
    try provenance.validate(source: source)

    func check(_ v: View, _ what: String) throws {
      guard !v.dims.isEmpty || v.itemCount == 1, v.dims.allSatisfy({ $0 > 0 && $0 < 1 << 31 }), v.items >= 0, v.items < 1 << 31 else {
        throw fail("\(what) has invalid dims \(v.dims) or item count \(v.items)")
      }
      let (count, overflow) = v.dims.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
      }
      // The end of the last item: one item past `base` per batch item, or `items` items in the fixed region.
      let (span, spanOverflow) = v.itemStride.multipliedReportingOverflow(by: max(v.items - 1, 0))
      let end = v.isBatched ? v.base + v.itemStride : v.base + span + v.itemStride
      guard !overflow, !spanOverflow, span < 1 << 40, v.inner >= 0, v.base >= 0, v.base < 1 << 40, v.itemStride > 0, v.itemStride < 1 << 40,
        count <= v.itemStride - v.inner, end <= (v.isBatched ? arenaFloatsPerItem : arenaFixedFloats)
      else {
        throw fail(
          "\(what) (base \(v.base), stride \(v.itemStride), inner \(v.inner), dims \(v.dims), items \(v.items)) lies outside the arena of "
            + (v.isBatched ? "\(arenaFloatsPerItem) floats per item" : "\(arenaFixedFloats) fixed floats"))
      }
    }
    func checkBinding(_ b: TensorBinding, _ what: String) throws {
      // Computed integers are int64 indices (ArgMax, TopK) held as exact floats in the arena.
      guard b.constant == nil || b.elementType.isInteger || b.constant == [], b.elementType != .int32 || b.constant != nil else {
        throw fail("\(what) is \(b.elementType) " + (b.constant == nil ? "without its constant values" : "with constant values (only integer outputs have them)"))
      }
      if let values = b.constant { return try checkConstant(b, values, what) }
      try check(b.view, what)
      guard let shape = b.shape else {
        guard b.view.isBatched else { throw fail("\(what) has no batch but no shape either") }
        return
      }
      let v = b.view
      guard !v.isBatched, shape.count <= 64, shape.allSatisfy({ $0 > 0 && $0 < 1 << 31 }), Window2D.checkedProduct(shape) == v.items * v.itemCount,
        v.items == 1 || v.itemStride == v.itemCount
      else { throw fail("\(what) shape \(shape) does not match its view (dims \(v.dims), items \(v.items))") }
    }
    // An integer output is a constant the binding holds: its view only gives its shape.
    func checkConstant(_ b: TensorBinding, _ values: [Int64], _ what: String) throws {
      let v = b.view
      if let shape = b.shape, shape.contains(0) {
        // The other dims still multiply out (shape arithmetic does not stop at the 0).
        guard values.isEmpty, shape.count <= 64, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }),
          Window2D.checkedProduct(shape.filter { $0 != 0 }) != nil, v == TensorBinding.emptyView
        else {
          throw fail("\(what) is an empty tensor of shape \(shape) but has \(values.count) values or a view (dims \(v.dims), items \(v.items))")
        }
        return
      }
      guard let shape = b.shape, shape.count <= 64, shape.allSatisfy({ $0 > 0 && $0 < 1 << 31 }), Window2D.checkedProduct(shape) == values.count,
        v.base == 0, v.inner == 0, v.items >= 1, v.dims.count <= 64, v.dims.allSatisfy({ $0 > 0 && $0 < 1 << 31 }),
        Window2D.checkedProduct(v.dims) == v.itemStride, Window2D.checkedProduct(v.dims + [v.items]) == values.count
      else {
        throw fail("\(what) is a constant of \(values.count) \(b.elementType) values whose shape \(b.shape.map { "\($0)" } ?? "(none)") does not match them or its view (dims \(v.dims), items \(v.items))")
      }
      if b.elementType == .int32, let bad = values.first(where: { Int32(exactly: $0) == nil }) {
        throw fail("\(what) is int32 but holds \(bad)")
      }
    }
    // The arena is exactly as large as its furthest buffer (rounded to 64 bytes), so a
    // corrupted size cannot make a session allocate far more than the plan uses.
    let views = inputs.filter { $0.constant == nil }.map(\.view) + outputs.filter { $0.constant == nil }.map(\.view) + steps.flatMap { $0.inputs + [$0.output] }
    // Where a view ends, `base + itemStride * items`: computed before each view's own checks
    // below, so a corrupted view must not overflow here (a fuzzed plan did).
    func end(_ v: View, items: Int) throws -> Int {
      let (span, spanOverflow) = v.itemStride.multipliedReportingOverflow(by: items)
      let (end, endOverflow) = v.base.addingReportingOverflow(span)
      guard !spanOverflow, !endOverflow, end < 1 << 48 else {
        throw fail("a view's extent overflows (base \(v.base), item stride \(v.itemStride), \(items) items)")
      }
      return end
    }
    let furthest = try views.filter(\.isBatched).map { try end($0, items: 1) }.max() ?? 0
    guard arenaFloatsPerItem <= (furthest + 15) / 16 * 16 else {
      throw fail("arena of \(arenaFloatsPerItem) floats per item is larger than its buffers need (\(furthest))")
    }
    let furthestFixed = try views.filter { !$0.isBatched }.map { try end($0, items: $0.items) }.max() ?? 0
    guard arenaFixedFloats <= (furthestFixed + 15) / 16 * 16 else {
      throw fail("fixed arena of \(arenaFixedFloats) floats is larger than its buffers need (\(furthestFixed))")
    }

    for binding in inputs {
      // The caller fills inputs with floats (a bool as 0/1): an integer input would be read as the wrong type.
      guard !binding.elementType.isInteger else { throw fail("input '\(binding.name)' is \(binding.elementType); inputs are float32 or bool") }
      try checkBinding(binding, "input '\(binding.name)'")
    }
    for binding in outputs { try checkBinding(binding, "output '\(binding.name)'") }
    for step in steps {
      let label = "step '\(step.name)'"
      for (i, v) in step.inputs.enumerated() { try check(v, "\(label) input \(i)") }
      try check(step.output, "\(label) output")
      // A step runs over its output's items; each input has as many, or one that every item
      // reads (an operand of a binary or matmul step without the batch).
      for (i, v) in step.inputs.enumerated() where v.items != step.output.items && !step.kernel.spansItems {
        guard v.items == 1, step.kernel.readsSharedItems else {
          throw fail("\(label) input \(i) has \(v.isBatched ? "the batch" : "\(v.items) items"), its output \(step.output.isBatched ? "the batch" : "\(step.output.items) items")")
        }
      }
      try step.kernel.step.validate(StepCheck(step: step, weightCount: weightCount, source: source))
    }
  }
}

