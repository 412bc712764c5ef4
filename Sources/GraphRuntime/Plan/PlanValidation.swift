extension Plan {
  /// Checks that every view lies inside the arena, every weight range inside the
  /// weights, and every kernel's parameters agree with its operands, so kernels
  /// can index without further checks.
  public func validate(source: String = "plan") throws {
    func fail(_ what: String) -> RuntimeError { RuntimeError("\(source): \(what)") }
    guard arenaFloatsPerItem >= 0, arenaFloatsPerItem < 1 << 36 else { throw fail("arena size \(arenaFloatsPerItem) out of range") }
    if let b = fixedBatch, b <= 0 { throw fail("fixed batch \(b) must be positive") }

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
    func check(_ w: WeightRef, count: Int, _ what: String) throws {
      guard w.offset >= 0, w.count == count, w.offset <= weightCount, w.count <= weightCount - w.offset else {
        throw fail("\(what) weights (offset \(w.offset), count \(w.count), expected \(count)) lie outside the \(weightCount) weights")
      }
    }

    /// Kernels address sliced outputs by channel: the slice must start and span whole channel planes.
    func isChannelSlice(_ v: View, plane: Int) -> Bool {
      plane > 0 && v.inner % plane == 0 && v.itemStride % plane == 0
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
      func expect(_ condition: Bool, _ what: String) throws {
        if !condition { throw fail("\(label): \(what)") }
      }
      func expectValid(_ validate: () throws -> Void) throws {
        do { try validate() } catch let e as RuntimeError { throw fail("\(label): \(e.message)") }
      }
      let inCount = step.inputs.first?.itemCount ?? 0
      let outCount = step.output.itemCount
      switch step.kernel {
      case .conv(let c):
        let g = c.geometry
        try expectValid(g.validate)
        try expect(step.inputs.count == (c.residual ? 2 : 1), "conv expects \(c.residual ? 2 : 1) inputs")
        try expect(inCount == g.inputCountPerItem, "input holds \(inCount) floats per item, conv reads \(g.inChannels)x\(g.inHeight)x\(g.inWidth)")
        try expect(outCount == g.outputCountPerItem, "output size does not match conv")
        if c.residual { try expect(step.inputs[1].itemCount == outCount, "residual size does not match output") }
        try expect(isChannelSlice(step.output, plane: g.outHeight * g.outWidth), "output is not a whole-channel slice")
        try check(c.weights, count: g.weightCount, "\(label) conv")
        if let b = c.bias { try check(b, count: g.outChannels, "\(label) bias") }
      case .pool(let p):
        let g = p.geometry
        try expectValid(g.validate)
        try expect(step.inputs.count == 1 && inCount == g.inputCountPerItem, "pool input size mismatch")
        try expect(outCount == g.outputCountPerItem, "pool output size mismatch")
        try expect(isChannelSlice(step.output, plane: g.outHeight * g.outWidth), "output is not a whole-channel slice")
        // Every window must start inside the input or its leading padding.
        try expect((g.outHeight - 1) * g.strideHeight < g.inHeight + g.padTop
                   && (g.outWidth - 1) * g.strideWidth < g.inWidth + g.padLeft, "pool windows start beyond the input")
      case .globalPool:
        try expect(step.inputs.count == 1 && step.inputs[0].dims.count >= 2, "global pool needs a [C, ...] input")
        try expect(outCount == step.inputs[0].dims[0], "global pool output must hold one value per channel")
      case .dense(let d):
        try expect(d.inFeatures > 0 && d.outFeatures > 0, "dense sizes must be positive")
        try expect(step.inputs.count == 1 && inCount == d.inFeatures && outCount == d.outFeatures, "dense operand sizes mismatch")
        try check(d.weights, count: d.inFeatures * d.outFeatures, "\(label) dense")
        if let b = d.bias { try check(b, count: d.outFeatures, "\(label) bias") }
      case .binary(let b):
        try expect(b.leftDims.count <= 6 && b.rightDims.count <= 6, "binary operands of rank above 6")
        try expect(step.inputs.count == (b.constant == nil ? 2 : 1), "binary operand count mismatch")
        try expect(b.leftDims.reduce(1, *) == inCount, "binary left operand size mismatch")
        let rightCount = b.rightDims.reduce(1, *)
        if let c = b.constant { try check(c, count: rightCount, "\(label) constant") }
        else { try expect(step.inputs[1].itemCount == rightCount, "binary right operand size mismatch") }
        guard let out = try? Reference.broadcastShape(b.leftDims, b.rightDims), out == step.output.dims else {
          throw fail("\(label): shapes \(b.leftDims) and \(b.rightDims) do not broadcast to \(step.output.dims)")
        }
      case .channelAffine(let scale, let shift, _):
        try expect(step.inputs.count == 1 && inCount == outCount && !step.output.dims.isEmpty, "channel affine size mismatch")
        try check(scale, count: step.output.dims[0], "\(label) scale")
        try check(shift, count: step.output.dims[0], "\(label) shift")
      case .activation, .copy:
        try expect(step.inputs.count == 1 && inCount == outCount, "operand sizes mismatch")
      case .lrn(let size, _, _, _):
        try expect(size > 0 && step.inputs.count == 1 && inCount == outCount && step.output.dims.count >= 1, "LRN operands mismatch")
      case .softmax(let axis):
        try expect(step.inputs.count == 1 && inCount == outCount && axis >= 0 && axis < step.output.dims.count, "softmax axis or sizes invalid")
      case .transpose(let perm):
        let dims = step.inputs.first?.dims ?? []
        try expect(step.inputs.count == 1 && perm.count == dims.count && Set(perm) == Set(0..<dims.count), "invalid permutation \(perm)")
        try expect(perm.map { dims[$0] } == step.output.dims, "transpose output dims mismatch")
      }
    }
  }
}

