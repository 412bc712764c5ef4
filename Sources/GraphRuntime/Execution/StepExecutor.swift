import GraphPlan

/// Runs one plan step on a session's arena: maps the step's views to pointers
/// and calls the kernel. Operands that are plain batch-major buffers go to the
/// kernel in one call for the whole batch; strided ones (concat slices) per item.
struct StepExecutor {
  let session: Session
  let batch: Int
  var weights: UnsafePointer<Float> { session.model.weights }
  var pool: ThreadPool { session.pool }

  /// Scratch floats the largest Winograd block (one per thread where the threads split the
  /// tile rows; blocks grow with the batch), N-D conv's unfolded columns or transposed conv's
  /// columns of the plan need on `threads` threads for a run of `batch` items (other convs need
  /// none). A conv runs on its output's items: the batch, or the fixed count of a value without
  /// the batch (a static model's Reshape can give it more items than the batch).
  static func workspaceCount(_ plan: Plan, threads: Int, batch: Int) -> Int {
    plan.steps.map { step -> Int in
      switch step.kernel {
      case .conv(let c):
        return Kernels.conv2dWorkspaceCount(
          convParameters(c, batch: step.output.itemCount(batch: batch), output: step.output), layout: c.weightLayout,
          threads: threads)
      case .convND(let c): return Kernels.convNDWorkspaceCount(c.geometry)
      case .convTranspose(let c): return Kernels.convTransposeWorkspaceCount(c.geometry)
      default: return 0
      }
    }.max() ?? 0
  }

  static func convParameters(_ c: Convolution, batch: Int, output: View) -> Conv2DParameters {
    let slice = channelSlice(output, plane: c.geometry.outHeight * c.geometry.outWidth)
    return Conv2DParameters(geometry: c.geometry, batch: batch, outputChannelOffset: slice.offset, outputTotalChannels: slice.total)
  }

  static func poolParameters(_ p: Pooling, batch: Int, output: View) -> Pool2DParameters {
    let slice = channelSlice(output, plane: p.geometry.outHeight * p.geometry.outWidth)
    return Pool2DParameters(
      kind: p.kind, geometry: p.geometry, countIncludePad: p.countIncludePad, batch: batch,
      outputChannelOffset: slice.offset, outputTotalChannels: slice.total)
  }

  /// Where a channel-sliced output view sits in its buffer, in channels (validation guarantees whole planes).
  static func channelSlice(_ v: View, plane: Int) -> (offset: Int, total: Int) {
    (v.inner / plane, v.itemStride / plane)
  }

  func pointer(_ v: View, _ n: Int) -> UnsafeMutablePointer<Float> { session.pointer(v, batch: batch, item: n) }
  func weight(_ w: WeightRef) -> UnsafePointer<Float> { weights + w.offset }

  /// Start of item `n` of the buffer under `v` (where a channel-sliced output is addressed from).
  func bufferItem(_ v: View, _ n: Int) -> UnsafeMutablePointer<Float> { pointer(v, n) - v.inner }

  /// Whether every item of `v` follows the previous one directly. (Only binary steps take an
  /// operand with fewer items than their output, and they run per item.)
  func isDense(_ v: View) -> Bool { v.itemStride == v.itemCount && v.inner == 0 }

  /// Calls `body(firstItem, count)` once for all `items` when `together`, else once per item.
  func forItems(_ items: Int, together: Bool, _ body: (Int, Int) -> Void) {
    if together { body(0, items) } else { for n in 0..<items { body(n, 1) } }
  }

  /// Applies `activation` in place to item `n` of `v`.
  func activate(_ activation: Activation, _ v: View, _ n: Int) {
    if activation != .none { Kernels.activation(activation, pointer(v, n), count: v.itemCount, output: pointer(v, n), pool: pool) }
  }

  /// Runs step `index` of the plan, once per item of its output: the batch, or the fixed
  /// item count of a value without the batch.
  func run(_ step: Step, index: Int) {
    let out = step.output
    let items = out.itemCount(batch: batch)
    switch step.kernel {
    case .conv(let c):
      let residual = c.residual ? step.inputs[1] : nil
      forItems(items, together: isDense(step.inputs[0]) && residual.map(isDense) ?? true) { n, count in
        Kernels.conv2d(
          Self.convParameters(c, batch: count, output: out), input: pointer(step.inputs[0], n), weights: weight(c.weights),
          weightLayout: c.weightLayout,
          epilogue: Epilogue(bias: c.bias.map(weight), residual: residual.map { UnsafePointer(pointer($0, n)) }, activation: c.activation),
          output: bufferItem(out, n), workspace: session.workspace, pool: pool)
      }
    case .pool(let p):
      forItems(items, together: isDense(step.inputs[0])) { n, count in
        Kernels.pool2d(
          Self.poolParameters(p, batch: count, output: out), axes: session.model.prepared[index].poolAxes,
          input: pointer(step.inputs[0], n), output: bufferItem(out, n), pool: pool)
      }
    case .globalPool(let kind):
      let x = step.inputs[0]
      let channels = x.dims[0], spatial = x.itemCount / channels
      forItems(items, together: isDense(x) && isDense(out)) { n, count in
        Kernels.globalPool(kind, batch: count, channels: channels, spatial: spatial, input: pointer(x, n), output: pointer(out, n), pool: pool)
      }
    case .dense(let d):
      let x = step.inputs[0]
      forItems(items, together: isDense(x) && isDense(out)) { n, count in
        Kernels.gemm(
          GemmParameters(m: count * d.rows, n: d.outFeatures, k: d.inFeatures, transB: true), a: pointer(x, n), b: weight(d.weights),
          epilogue: Epilogue(bias: d.bias.map(weight), activation: d.activation), output: pointer(out, n), pool: pool,
          rowsPerItem: d.rows)
      }
    case .binary(let b):
      guard case .binary(let layout) = session.model.prepared[index] else { preconditionFailure("binary step unprepared") }
      for n in 0..<items {
        let x = UnsafePointer(pointer(step.inputs[0], n))
        let y = b.constant.map(weight) ?? UnsafePointer(pointer(step.inputs[1], n))
        let (l, r) = b.constantIsLeft ? (y, x) : (x, y)
        Kernels.binary(b.op, layout, a: l, b: r, output: pointer(out, n), pool: pool)
        activate(b.activation, out, n)
      }
    case .select(let select):
      guard case .binary(let layout) = session.model.prepared[index] else { preconditionFailure("select step unprepared") }
      for n in 0..<items {
        // Each operand is its constant or the next input, in the order condition, x, y (no array: a run allocates nothing).
        var next = 0
        func operand(_ i: Int) -> UnsafePointer<Float> {
          if let constant = select.constants[i] { return weight(constant) }
          next += 1
          return UnsafePointer(pointer(step.inputs[next - 1], n))
        }
        let condition = operand(0), x = operand(1), y = operand(2)
        Kernels.select(layout, condition: condition, x: x, y: y, output: pointer(out, n), pool: pool)
      }
    case .channelAffine(let scale, let shift, let activation):
      for n in 0..<items {
        let channels = out.dims[0]
        Kernels.channelAffine(
          pointer(step.inputs[0], n), batch: 1, channels: channels, spatial: out.itemCount / channels,
          scale: weight(scale), shift: weight(shift), output: pointer(out, n), pool: pool)
        activate(activation, out, n)
      }
    case .activation(let a):
      for n in 0..<items {
        Kernels.activation(a, pointer(step.inputs[0], n), count: out.itemCount, output: pointer(out, n), pool: pool)
      }
    case .lrn(let size, let alpha, let beta, let bias):
      for n in 0..<items {
        let channels = out.dims[0]
        Kernels.lrn(
          pointer(step.inputs[0], n), batch: 1, channels: channels, spatial: out.itemCount / channels,
          size: size, alpha: alpha, beta: beta, bias: bias, output: pointer(out, n), pool: pool)
      }
    case .softmax(let axis):
      for n in 0..<items {
        Kernels.softmax(pointer(step.inputs[0], n), shape: out.dims, axis: axis, output: pointer(out, n), pool: pool)
      }
    case .logSoftmax(let axis):
      for n in 0..<items {
        Kernels.softmax(pointer(step.inputs[0], n), shape: out.dims, axis: axis, log: true, output: pointer(out, n), pool: pool)
      }
    case .reduce(let kind):
      let x = step.inputs[0]
      let rows = x.dims[0], length = x.itemCount / rows
      forItems(items, together: isDense(x) && isDense(out)) { n, count in
        Kernels.reduceRows(kind, rows: count * rows, length: length, input: pointer(x, n), output: pointer(out, n), pool: pool)
      }
    case .cumSum(let axis, let exclusive, let reverse):
      for n in 0..<items {
        Kernels.cumSum(
          pointer(step.inputs[0], n), shape: out.dims, axis: axis, exclusive: exclusive, reverse: reverse, output: pointer(out, n),
          pool: pool)
      }
    case .topK(let k, let largest, let indices):
      let x = step.inputs[0]
      let rows = x.dims[0], length = x.itemCount / rows
      forItems(items, together: isDense(x) && isDense(out)) { n, count in
        Kernels.topK(
          rows: count * rows, length: length, k: k, largest: largest, indices: indices, input: pointer(x, n), output: pointer(out, n), pool: pool)
      }
    case .transpose, .slice:
      guard case .gather(let layout) = session.model.prepared[index] else { preconditionFailure("gather step unprepared") }
      for n in 0..<items { Kernels.gather(pointer(step.inputs[0], n), layout, output: pointer(out, n)) }
    case .indexCopy:
      guard case .indexCopy(let layout) = session.model.prepared[index] else { preconditionFailure("index-copy step unprepared") }
      for n in 0..<items { Kernels.indexCopy(pointer(step.inputs[0], n), layout, output: pointer(out, n)) }
    case .resize(let rows, let columns):
      for n in 0..<items {
        Kernels.resize(
          pointer(step.inputs[0], n), inputDims: step.inputs[0].dims, rows: rows, columns: columns, output: pointer(out, n), pool: pool)
      }
    case .copy:
      for n in 0..<items { pointer(out, n).update(from: pointer(step.inputs[0], n), count: out.itemCount) }
    case .layerNorm(let axis, let epsilon, let scale, let bias):
      let row = out.dims[axis...].reduce(1, *)
      let x = step.inputs[0]
      forItems(items, together: isDense(x) && isDense(out)) { n, count in
        Kernels.layerNorm(
          pointer(x, n), rows: count * out.itemCount / row, length: row, epsilon: epsilon, scale: weight(scale),
          bias: bias.map(weight), output: pointer(out, n), pool: pool)
      }
    case .channelNorm(let epsilon, let scale, let bias):
      let x = step.inputs[0], channels = out.dims[0]
      forItems(items, together: isDense(x) && isDense(out)) { n, count in
        Kernels.channelNorm(
          pointer(x, n), items: count, channels: channels, spatial: out.itemCount / channels, epsilon: epsilon,
          scale: weight(scale), bias: bias.map(weight), output: pointer(out, n), pool: pool)
      }
    case .matmul(let m):
      guard case .matmul(let layout) = session.model.prepared[index] else { preconditionFailure("matmul step unprepared") }
      for n in 0..<items {
        let x = UnsafePointer(pointer(step.inputs[0], n))
        let y = m.constant.map(weight) ?? UnsafePointer(pointer(step.inputs[1], n))
        let (a, b) = m.constantIsLeft ? (y, x) : (x, y)
        Kernels.matmul(layout, a: a, b: b, output: pointer(out, n), pool: pool)
      }
    case .concat(let axis):
      // Per item, for each index of the axes before `axis`, each input's run in turn.
      var outer = 1
      for d in out.dims[..<axis] { outer *= d }
      for n in 0..<items {
        var target = pointer(out, n)
        for o in 0..<outer {
          for input in step.inputs {
            let run = input.itemCount / outer
            target.update(from: pointer(input, n) + o * run, count: run)
            target += run
          }
        }
      }
    case .gather(let axis, let indices):
      let dims = step.inputs[0].dims
      var outer = 1
      for d in dims[..<axis] { outer *= d }
      let inner = step.inputs[0].itemCount / outer / dims[axis]
      for n in 0..<items {
        Kernels.gather(pointer(step.inputs[0], n), outer: outer, size: dims[axis], inner: inner, indices: indices, output: pointer(out, n))
      }
    case .batchMean:
      // Once per run: the output holds one input item's floats, whatever its own item count.
      let x = step.inputs[0]
      Kernels.batchMean(items: x.itemCount(batch: batch), count: x.itemCount, row: { UnsafePointer(pointer(x, $0)) }, output: pointer(out, 0))
    case .constant(let values):
      let count = out.itemCount
      for n in 0..<items { pointer(out, n).update(from: weight(values) + (out.isBatched ? 0 : n * count), count: count) }
    case .convND(let c):
      let residual = c.residual ? step.inputs[1] : nil
      let slice = Self.channelSlice(out, plane: c.geometry.outVolume)
      forItems(items, together: isDense(step.inputs[0]) && residual.map(isDense) ?? true) { n, count in
        Kernels.convND(
          ConvNDParameters(geometry: c.geometry, batch: count, outputChannelOffset: slice.offset, outputTotalChannels: slice.total),
          input: pointer(step.inputs[0], n), weights: weight(c.weights), weightLayout: c.weightLayout,
          epilogue: Epilogue(bias: c.bias.map(weight), residual: residual.map { UnsafePointer(pointer($0, n)) }, activation: c.activation),
          output: bufferItem(out, n), workspace: session.workspace, pool: pool)
      }
    case .convTranspose(let c):
      // Per item: a channel slice of a concat is one contiguous run of each item.
      for n in 0..<items {
        Kernels.convTranspose(
          c.geometry, batch: 1, input: pointer(step.inputs[0], n), weights: weight(c.weights), weightLayout: c.weightLayout,
          bias: c.bias.map(weight), activation: c.activation, output: pointer(out, n), workspace: session.workspace, pool: pool)
      }
    case .poolND(let p):
      let slice = Self.channelSlice(out, plane: p.geometry.outVolume)
      forItems(items, together: isDense(step.inputs[0])) { n, count in
        Kernels.poolND(
          PoolNDParameters(
            kind: p.kind, geometry: p.geometry, countIncludePad: p.countIncludePad, batch: count,
            outputChannelOffset: slice.offset, outputTotalChannels: slice.total),
          input: pointer(step.inputs[0], n), output: bufferItem(out, n), pool: pool)
      }
    }
  }
}
