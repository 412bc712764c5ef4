import GraphPlan

/// Every Int a plan stores, in a fixed order, so the mutator can pick one at random and
/// change it in place: plan sizes, each view's base/stride/inner/dims, and each kernel's
/// geometry, weight ranges and parameters. The kernel switch is exhaustive on purpose: a new
/// step kind does not build here until its parameters are listed (Tools/fuzz.sh, in CI).
struct IntSlots {
  private(set) var count = 0

  mutating func collect(_ plan: Plan) {
    var copy = plan
    count = 0
    var n = 0
    Self.walk(&copy) { _ in n += 1 }
    count = n
  }

  /// Calls `change` on the `index`-th Int of `plan`.
  func visit(_ plan: inout Plan, _ index: Int, _ change: (inout Int) -> Void) {
    var i = 0
    Self.walk(&plan) { v in
      if i == index { change(&v) }
      i += 1
    }
  }

  static func walk(_ plan: inout Plan, _ f: (inout Int) -> Void) {
    var batch = plan.fixedBatch ?? 0
    f(&batch)
    plan.fixedBatch = batch == 0 ? nil : batch
    f(&plan.arenaFloatsPerItem)
    for i in plan.inputs.indices { view(&plan.inputs[i].view, f) }
    for i in plan.outputs.indices { view(&plan.outputs[i].view, f) }
    for s in plan.steps.indices {
      for i in plan.steps[s].inputs.indices { view(&plan.steps[s].inputs[i], f) }
      view(&plan.steps[s].output, f)
      kernel(&plan.steps[s].kernel, f)
    }
  }

  static func view(_ v: inout View, _ f: (inout Int) -> Void) {
    f(&v.base)
    f(&v.itemStride)
    f(&v.inner)
    for i in v.dims.indices { f(&v.dims[i]) }
  }

  static func weight(_ w: inout WeightRef, _ f: (inout Int) -> Void) {
    f(&w.offset)
    f(&w.count)
  }

  static func window(_ w: inout Window2D, _ f: (inout Int) -> Void) {
    for p in [\Window2D.kernelHeight, \.kernelWidth, \.strideHeight, \.strideWidth, \.padTop, \.padLeft, \.padBottom, \.padRight, \.dilationHeight, \.dilationWidth] {
      f(&w[keyPath: p])
    }
  }

  /// A window of any rank; strides stay at least 1 (the writer divides by them).
  static func windowND(_ w: inout WindowND, _ f: (inout Int) -> Void) {
    for i in w.kernel.indices { f(&w.kernel[i]) }
    for i in w.strides.indices {
      f(&w.strides[i])
      w.strides[i] = Swift.max(w.strides[i], 1)
    }
    for i in w.dilations.indices { f(&w.dilations[i]) }
    for i in w.padsBegin.indices { f(&w.padsBegin[i]) }
    for i in w.padsEnd.indices { f(&w.padsEnd[i]) }
  }

  static func resizeAxis(_ a: inout ResizeAxis, _ f: (inout Int) -> Void) {
    f(&a.taps)
    for i in a.positions.indices { f(&a.positions[i]) }
  }

  /// Runs `body` with `f` followed by a clamp to ±2^31: a conv's sizes, which the writer's
  /// output-size arithmetic must survive (the reader refuses 2^31 and beyond anyway).
  static func clamping(_ f: (inout Int) -> Void, _ body: ((inout Int) -> Void) -> Void) {
    withoutActuallyEscaping(f) { f in
      body { v in
        f(&v)
        v = Swift.max(-(1 << 31), Swift.min(v, 1 << 31))
      }
    }
  }

  static func kernel(_ k: inout Kernel, _ f: (inout Int) -> Void) {
    switch k {
    case .conv(var c):
      // The writer computes a conv's output size from these (the file stores it for readers),
      // so keep them where that arithmetic holds; the reader refuses 2^31 and beyond anyway.
      clamping(f) { clamped in
        for p in [\Conv2DGeometry.inChannels, \.inHeight, \.inWidth, \.outChannels, \.groups] { clamped(&c.geometry[keyPath: p]) }
        window(&c.geometry.window, clamped)
      }
      // The writer divides by the strides; zero strides come from byte-level mutation instead.
      c.geometry.window.strideHeight = Swift.max(c.geometry.window.strideHeight, 1)
      c.geometry.window.strideWidth = Swift.max(c.geometry.window.strideWidth, 1)
      weight(&c.weights, f)
      if var b = c.bias { weight(&b, f); c.bias = b }
      k = .conv(c)
    case .pool(var p):
      for q in [\Pool2DGeometry.channels, \.inHeight, \.inWidth, \.outHeight, \.outWidth] { f(&p.geometry[keyPath: q]) }
      window(&p.geometry.window, f)
      k = .pool(p)
    case .dense(var d):
      f(&d.inFeatures)
      f(&d.outFeatures)
      weight(&d.weights, f)
      if var b = d.bias { weight(&b, f); d.bias = b }
      k = .dense(d)
    case .binary(var b):
      for i in b.leftDims.indices { f(&b.leftDims[i]) }
      for i in b.rightDims.indices { f(&b.rightDims[i]) }
      if var c = b.constant { weight(&c, f); b.constant = c }
      k = .binary(b)
    case .channelAffine(var scale, var shift, let activation):
      weight(&scale, f)
      weight(&shift, f)
      k = .channelAffine(scale: scale, shift: shift, activation: activation)
    case .lrn(var size, let alpha, let beta, let bias):
      f(&size)
      k = .lrn(size: size, alpha: alpha, beta: beta, bias: bias)
    case .softmax(var axis):
      f(&axis)
      k = .softmax(axis: axis)
    case .logSoftmax(var axis):
      f(&axis)
      k = .logSoftmax(axis: axis)
    case .transpose(var perm):
      for i in perm.indices { f(&perm[i]) }
      k = .transpose(perm: perm)
    case .slice(var starts, var steps):
      for i in starts.indices { f(&starts[i]) }
      for i in steps.indices { f(&steps[i]) }
      k = .slice(starts: starts, steps: steps)
    case .layerNorm(var axis, let epsilon, var scale, var bias):
      f(&axis)
      weight(&scale, f)
      if var b = bias { weight(&b, f); bias = b }
      k = .layerNorm(axis: axis, epsilon: epsilon, scale: scale, bias: bias)
    case .channelNorm(let epsilon, var scale, var bias):
      weight(&scale, f)
      if var b = bias { weight(&b, f); bias = b }
      k = .channelNorm(epsilon: epsilon, scale: scale, bias: bias)
    case .constant(var w):
      weight(&w, f)
      k = .constant(w)
    case .matmul(var m):
      for i in m.leftDims.indices { f(&m.leftDims[i]) }
      for i in m.rightDims.indices { f(&m.rightDims[i]) }
      if var c = m.constant { weight(&c, f); m.constant = c }
      k = .matmul(m)
    case .concat(var axis):
      f(&axis)
      k = .concat(axis: axis)
    case .gather(var axis, var indices):
      f(&axis)
      for i in indices.indices { f(&indices[i]) }
      k = .gather(axis: axis, indices: indices)
    case .convND(var c):
      // As for .conv: sizes kept where the writer's output-size arithmetic holds, strides >= 1.
      clamping(f) { clamped in
        for p in [\ConvNDGeometry.inChannels, \.outChannels, \.groups] { clamped(&c.geometry[keyPath: p]) }
        for i in c.geometry.inSizes.indices { clamped(&c.geometry.inSizes[i]) }
        windowND(&c.geometry.window, clamped)
      }
      weight(&c.weights, f)
      if var b = c.bias { weight(&b, f); c.bias = b }
      k = .convND(c)
    case .convTranspose(var c):
      // Sizes kept where the validation's arithmetic holds; strides and dilations at least 1.
      clamping(f) { clamped in
        for p in [\ConvTransposeGeometry.inChannels, \.outChannels, \.groups] { clamped(&c.geometry[keyPath: p]) }
        for p in [\ConvTransposeGeometry.inSizes, \.outSizes, \.kernel, \.strides, \.dilations, \.padsBegin] {
          for i in c.geometry[keyPath: p].indices { clamped(&c.geometry[keyPath: p][i]) }
        }
      }
      weight(&c.weights, f)
      if var b = c.bias { weight(&b, f); c.bias = b }
      k = .convTranspose(c)
    case .poolND(var p):
      f(&p.geometry.channels)
      for i in p.geometry.inSizes.indices { f(&p.geometry.inSizes[i]) }
      for i in p.geometry.outSizes.indices { f(&p.geometry.outSizes[i]) }
      windowND(&p.geometry.window, f)
      k = .poolND(p)
    case .indexCopy(var sources, let fill):
      for a in sources.indices { for i in sources[a].indices { f(&sources[a][i]) } }
      k = .indexCopy(sources: sources, fill: fill)
    case .resize(var rows, var columns):
      resizeAxis(&rows, f)
      resizeAxis(&columns, f)
      k = .resize(rows: rows, columns: columns)
    case .select(var s):
      for o in s.dims.indices { for i in s.dims[o].indices { f(&s.dims[o][i]) } }
      for o in s.constants.indices { if var c = s.constants[o] { weight(&c, f); s.constants[o] = c } }
      k = .select(s)
    case .topK(var count, let largest, let indices):
      f(&count)
      k = .topK(k: count, largest: largest, indices: indices)
    case .cumSum(var axis, let exclusive, let reverse):
      f(&axis)
      k = .cumSum(axis: axis, exclusive: exclusive, reverse: reverse)
    case .globalPool, .activation, .copy, .batchMean, .reduce:
      break
    }
  }
}

