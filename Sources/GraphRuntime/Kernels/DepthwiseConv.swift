import GraphPlan
import KernelsGeneric

extension Kernels {
  /// Depthwise convolution (one input and one output channel per group), a plane at a time
  /// through the instruction set's `depthwisePlane` (bias, residual and a clamping activation
  /// fused; other activations then run over the finished plane, which is still in cache).
  ///
  /// The kernel copies each input plane once into a zero-padded plane in the thread's scratch
  /// (``KernelsGeneric/PaddedRows``), so no column needs a border path and every tap of a
  /// strided or dilated kernel is a contiguous load.
  ///
  /// Every output sums its taps in the same order (ky, then kx, from 0) on the same path, so the
  /// bits do not depend on the thread count; threads take whole planes (batch × channels).
  /// - Parameter kernels: the instruction set's kernels (tests pass each one the CPU runs).
  /// - Parameter channelBlocks: whether to take 16 channels at a time (``depthwiseChannelBlocks``),
  ///   or nil to choose by the geometry (`Conv2DGeometry.runsDepthwiseInChannelBlocks`).
  static func depthwiseConv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue, output: UnsafeMutablePointer<Float>, pool: ThreadPool?, kernels: KernelTable = .current,
    channelBlocks: Bool? = nil
  ) {
    if channelBlocks ?? p.geometry.runsDepthwiseInChannelBlocks {
      depthwiseChannelBlocks(p, input: input, weights: weights, epilogue: epilogue, output: output, pool: pool, kernels: kernels)
      return
    }
    let g = p.geometry, window = g.window
    let padding = depthwisePadding(g)
    let rows = KernelsGeneric.PaddedRows(padding)
    let (lower, upper, after) = epilogue.activation.clampBounds
    let shape = (
      rowStride: window.strideHeight * rows.rowLength, tapRowStride: window.dilationHeight * rows.rowLength,
      kernelHeight: window.kernelHeight, kernelWidth: window.kernelWidth, outHeight: g.outHeight, outWidth: g.outWidth)
    // Per plane: the input's and output's plane sizes, the channels, and where the output's channels start.
    let planes = (
      input: g.inHeight * g.inWidth, output: g.outHeight * g.outWidth, channels: g.outChannels,
      outputChannels: p.outputTotalChannels, outputOffset: p.outputChannelOffset)
    let scratchFloats = window.kernelWidth * intFloats + rows.scratchFloats
    let (bias, residual) = (epilogue.bias, epilogue.residual)
    // Planes under 256 floats go eight to a task: a task's set-up (its scratch, the tap offsets,
    // the kernel's lookup) cost about as much as a 7x7 plane's taps.
    let total = p.batch * g.outChannels, group = planes.output < 256 ? 8 : 1
    withUnsafePointer(to: kernels) { kernels in
      parallelFor(
        pool, (total + group - 1) / group,
        (padding, shape, planes, scratchFloats, input, weights, bias, residual, output, kernels, lower, upper, after, total, group)
      ) { context, task in
        let (padding, shape, planes, scratchFloats, input, weights, bias, residual, output, kernels, lower, upper, after, total, group) =
          context
        let kw = shape.kernelWidth, depthwisePlane = kernels.pointee.depthwisePlane
        // Scratch: the taps' offsets into a padded row, then the padded plane.
        let scratch = ThreadScratch.floats(scratchFloats)
        let offsets = UnsafeMutableRawPointer(scratch).bindMemory(to: Int.self, capacity: kw)
        let rows = KernelsGeneric.PaddedRows(padding)
        for kx in 0..<kw { offsets[kx] = rows.offset(ofTap: kx) }
        for plane in (task * group)..<min(total, (task + 1) * group) {
          let n = plane / planes.channels, c = plane % planes.channels
          let dst = output + (n * planes.outputChannels + planes.outputOffset + c) * planes.output
          depthwisePlane(
            input + plane * planes.input, padding, scratch + kw * intFloats, shape,
            weights + c * shape.kernelHeight * kw, offsets, bias.map { $0[c] } ?? 0,
            residual.map { $0 + plane * planes.output }, lower, upper, dst)
          if let after { activation(after, dst, count: planes.output, output: dst, kernels: kernels.pointee) }
        }
      }
    }
  }

  /// Depthwise convolution 16 channels at a time through the instruction set's
  /// `depthwiseChannelBlock` (bias, residual, a clamping activation and a row activation fused;
  /// other activations then run over the rows it wrote). The same bits as the plane kernel
  /// followed by the activation step. Threads take blocks (batch × channel blocks), and ranges
  /// of their output rows when there are fewer than four blocks a thread.
  static func depthwiseChannelBlocks(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue, output: UnsafeMutablePointer<Float>, pool: ThreadPool?, kernels: KernelTable
  ) {
    let g = p.geometry, w = g.window, shape = depthwiseBlockShape(g)
    var (lower, upper, after) = epilogue.activation.clampBounds
    // A row activation goes into the kernel's store; others run after it.
    let rowActivation = after?.rowKind ?? -1
    if rowActivation >= 0 { after = nil }
    let planes = (
      input: g.inHeight * g.inWidth, output: g.outHeight * g.outWidth, channels: g.outChannels, taps: w.kernelHeight * w.kernelWidth,
      outputChannels: p.outputTotalChannels, outputOffset: p.outputChannelOffset)
    let blocks = (g.outChannels + 15) / 16, scratchFloats = KernelsGeneric.depthwiseChannelBlockScratch(shape)
    // On several threads, fewer blocks than four a thread also split their output rows (each
    // part loads the input rows its taps reach; the sums do not change).
    let threads = pool?.threads ?? 1, tasks = p.batch * blocks
    let parts = threads == 1 || tasks >= 4 * threads ? 1 : min(g.outHeight, (4 * threads + tasks - 1) / tasks)
    let (bias, residual) = (epilogue.bias, epilogue.residual)
    withUnsafePointer(to: kernels) { kernels in
      parallelFor(
        pool, tasks * parts,
        (shape, planes, blocks, parts, scratchFloats, input, weights, bias, residual, output, kernels, lower, upper, rowActivation, after)
      ) { context, task in
        let (shape, planes, blocks, parts, scratchFloats, input, weights, bias, residual, output, kernels, lower, upper, rowActivation, after) =
          context
        let block = task / parts, part = task % parts
        let n = block / blocks, c0 = (block % blocks) * 16, channels = min(16, planes.channels - c0)
        let rows = (part * shape.outHeight / parts)..<((part + 1) * shape.outHeight / parts)
        let dst = output + (n * planes.outputChannels + planes.outputOffset + c0) * planes.output
        kernels.pointee.depthwiseChannelBlock(
          input + (n * planes.channels + c0) * planes.input, planes.input, channels, shape, rows, weights + c0 * planes.taps,
          bias.map { $0 + c0 }, residual.map { $0 + (n * planes.channels + c0) * planes.output }, lower, upper, rowActivation,
          ThreadScratch.floats(scratchFloats), dst)
        if let after {
          for c in 0..<channels {
            let plane = dst + c * planes.output + rows.lowerBound * shape.outWidth
            activation(after, plane, count: rows.count * shape.outWidth, output: plane, kernels: kernels.pointee)
          }
        }
      }
    }
  }

  /// `g` as ``KernelsGeneric/depthwiseChannelBlock`` takes it.
  static func depthwiseBlockShape(_ g: Conv2DGeometry) -> KernelsGeneric.DepthwiseBlockShape {
    let w = g.window
    return (
      inHeight: g.inHeight, inWidth: g.inWidth, outHeight: g.outHeight, outWidth: g.outWidth,
      kernelHeight: w.kernelHeight, kernelWidth: w.kernelWidth, strideHeight: w.strideHeight, strideWidth: w.strideWidth,
      dilationHeight: w.dilationHeight, dilationWidth: w.dilationWidth, padTop: w.padTop, padLeft: w.padLeft)
  }

  /// Floats that hold one `Int`.
  private static let intFloats = MemoryLayout<Int>.stride / MemoryLayout<Float>.stride

  /// How `depthwisePlane` pads an input plane of `g` (see ``KernelsGeneric/PaddedRows``): each
  /// phase reaches one vector past the last output column's farthest tap (`depthwisePlane`
  /// reads rows up to 8 wide by 8-float vectors, wider ones by 16), and the plane holds the
  /// rows down to the last one a tap reaches.
  static func depthwisePadding(_ g: Conv2DGeometry) -> KernelsGeneric.DepthwisePadding {
    let w = g.window
    let vector = g.outWidth <= 8 ? 8 : 16
    let phaseLength = (g.outWidth + vector - 1) / vector * vector + (w.kernelWidth - 1) * w.dilationWidth / w.strideWidth
    let planeRows = (g.outHeight - 1) * w.strideHeight + (w.kernelHeight - 1) * w.dilationHeight + 1
    return (
      inHeight: g.inHeight, inWidth: g.inWidth, padTop: w.padTop, padLeft: w.padLeft, stride: w.strideWidth,
      dilation: w.dilationWidth, phaseLength: phaseLength, planeRows: planeRows
    )
  }
}
