import GraphPlan
import KernelsGeneric

extension Kernels {
  /// Output positions one GEMM of ``convND(_:input:weights:weightLayout:epilogue:output:workspace:pool:)``
  /// takes: enough to keep the GEMM's column blocks full, few enough that the unfolded
  /// columns stay near 4 MiB (a 3-D conv unfolds `C/g * kd * kh * kw` rows per position).
  static func convNDColumnsPerGemm(_ g: ConvNDGeometry) -> Int {
    gemmColumnBlock(positions: g.outVolume, rowsPerPosition: g.depthPerGroup)
  }

  /// Positions one GEMM of a convolution's columns takes when each position has `rowsPerPosition`
  /// rows: at least the GEMM's column block, and about 4 MiB of columns past that. Never depends
  /// on the thread count.
  static func gemmColumnBlock(positions: Int, rowsPerPosition: Int) -> Int {
    min(positions, max(SGEMM.nc, (1 << 20) / rowsPerPosition))
  }

  /// Floats of scratch memory ``convND(_:input:weights:weightLayout:epilogue:output:workspace:pool:)``
  /// needs for `g`: one block of unfolded columns.
  package static func convNDWorkspaceCount(_ g: ConvNDGeometry) -> Int {
    g.depthPerGroup * convNDColumnsPerGemm(g)
  }

  /// Convolution over any number of spatial axes (the plan's 3-D and wider ones) with a fused
  /// epilogue, writing into a (possibly sliced) output. Same contract as `Reference.convND`.
  ///
  /// Per image and group, blocks of output positions are unfolded into the workspace as
  /// im2col columns, `[C/g * taps, columns]` with rows `(c, k0, k1, ...)` (``unfold``), and
  /// ``SGEMM`` multiplies the group's `[M/g, C/g * taps]` weights by them, the epilogue fused
  /// into its store. Every output sums K in the same order whatever the block or thread
  /// split, so results do not depend on the thread count.
  ///
  /// - Parameter weightLayout: `.oihw`, or `.gemmPanels` as the compiler packs them.
  /// - Parameter workspace: at least ``convNDWorkspaceCount(_:)`` floats, or `nil` to allocate for the call.
  package static func convND(
    _ p: ConvNDParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, weightLayout: ConvWeightLayout = .oihw,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
  ) {
    let g = p.geometry
    let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup, depth = g.depthPerGroup
    let outVolume = g.outVolume, inVolume = g.inVolume
    let columns = convNDColumnsPerGemm(g)
    let owned = workspace == nil ? allocateFloats(convNDWorkspaceCount(g)) : nil
    defer { owned?.deallocate() }
    let unfolded = workspace ?? owned!
    for n in 0..<p.batch {
      for group in 0..<g.groups {
        let a: GemmLeft =
          weightLayout == .gemmPanels
          ? .panels(weights + group * GemmPanels.count(rows: mg, depth: depth))
          : .matrix(.rowMajor(weights + group * mg * depth, columns: depth))
        let image = input + (n * g.inChannels + group * cg) * inVolume
        for j0 in stride(from: 0, to: outVolume, by: columns) {
          let width = min(columns, outVolume - j0)
          unfold(g, image: image, firstColumn: j0, columns: width, into: unfolded, pool: pool)
          let store = GemmStore(
            c: output + (n * p.outputTotalChannels + p.outputChannelOffset + group * mg) * outVolume + j0, ldc: outVolume,
            rowBias: epilogue.bias.map { $0 + group * mg },
            residual: epilogue.residual.map { $0 + (n * g.outChannels + group * mg) * outVolume + j0 }, ldr: outVolume,
            activation: epilogue.activation)
          SGEMM.run(
            m: mg, n: width, k: depth, a: a, b: .matrix(.rowMajor(unfolded, columns: width)), store: store, pool: pool)
        }
      }
    }
  }

  /// Writes im2col columns `j0 ..< j0 + columns` (row-major output positions) of one group's
  /// channels starting at `image` into `out` (`[C/g * taps, columns]`); taps in the padding
  /// read as zeros. Threads take rows; each row goes in runs along the last axis (a plain copy
  /// inside the input at stride 1).
  static func unfold(
    _ g: ConvNDGeometry, image: UnsafePointer<Float>, firstColumn j0: Int, columns: Int, into out: UnsafeMutablePointer<Float>,
    pool: ThreadPool?
  ) {
    // The geometry's arrays go by pointer (see `parallelFor`).
    withUnsafePointer(to: g) { g in
      parallelFor(pool, g.pointee.depthPerGroup, (g, image, j0, columns, out)) { context, row in
        let (g, image, j0, columns, out) = context
        unfoldRow(g.pointee, row: row, image: image, firstColumn: j0, columns: columns, into: out)
      }
    }
  }

  /// Row `row` (channel and tap) of ``unfold(_:image:firstColumn:columns:into:pool:)``.
  private static func unfoldRow(
    _ g: ConvNDGeometry, row: Int, image: UnsafePointer<Float>, firstColumn j0: Int, columns: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    let w = g.window, last = w.rank - 1, taps = w.taps
    let (inSizes, outSizes) = (g.inSizes, g.outSizes)
    let inW = inSizes[last], outW = outSizes[last], strideW = w.strides[last]
    let channel = image + (row / taps) * g.inVolume
    let tap = row % taps
    // The tap's column offset, and its index along the outer axes (row-major, last axis dropped).
    let ixTap = (tap % w.kernel[last]) * w.dilations[last] - w.padsBegin[last]
    let outerTap = tap / w.kernel[last]
    let dst = out + row * columns
    var j = j0
    while j < j0 + columns {
      let ox = j % outW, count = min(j0 + columns - j, outW - ox)
      // The input row this run reads (nil in the padding), and in it the lanes first ..< end
      // whose columns ix0 + t * stride lie inside; the rest are padding.
      let rowOffset = w.inputRowOffset(outputRow: j / outW, outerTap: outerTap, inSizes: inSizes, outSizes: outSizes)
      let ix0 = ox * strideW + ixTap, run = dst + (j - j0)
      let (first, end) =
        rowOffset == nil ? (0, 0) : KernelsGeneric.im2colInsideLanes(ix0: ix0, stride: strideW, count: count, inWidth: inW)
      run.update(repeating: 0, count: first)
      let src = channel + (rowOffset ?? 0) + ix0
      if strideW == 1 {
        (run + first).update(from: src + first, count: end - first)
      } else {
        for t in first..<end { run[t] = src[t * strideW] }
      }
      (run + end).update(repeating: 0, count: count - end)
      j += count
    }
  }
}
