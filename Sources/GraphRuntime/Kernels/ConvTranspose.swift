import GraphPlan
import KernelsGeneric

extension Kernels {
  /// Input positions one GEMM of ``convTranspose(_:batch:input:weights:weightLayout:bias:activation:output:workspace:pool:)``
  /// takes (each makes `M/g * taps` column rows).
  static func convTransposeColumnsPerGemm(_ g: ConvTransposeGeometry) -> Int {
    gemmColumnBlock(positions: g.inVolume, rowsPerPosition: g.columnRowsPerGroup)
  }

  /// Floats of scratch memory the transposed convolution needs for `g`: one block of columns, with
  /// room for whole register tiles past its rows and columns, so the GEMM accumulates in it directly.
  package static func convTransposeWorkspaceCount(_ g: ConvTransposeGeometry) -> Int {
    roundUp(g.columnRowsPerGroup, SGEMM.mr) * columnStride(convTransposeColumnsPerGemm(g))
  }

  /// The row stride of a block of `count` columns: whole `nr`-column tiles.
  private static func columnStride(_ count: Int) -> Int { roundUp(count, SGEMM.nr) }

  private static func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

  /// Transposed convolution (ONNX ConvTranspose) over any number of spatial axes, then bias and
  /// activation. Same contract as `Reference.convTranspose`.
  ///
  /// Per image and group, for blocks of input positions, ``SGEMM`` multiplies the group's
  /// `[M/g * taps, C/g]` weights by the block's `[C/g, positions]` input, giving what every tap of
  /// every position adds to the output (the columns, `[M/g * taps, positions]`); then threads take
  /// output channels and add each column row into the output positions its tap lands on (col2im,
  /// a contiguous add along the last axis at stride 1). The output starts at the bias; the
  /// activation runs over it at the end. Each output element sums its terms in the same order
  /// whatever the thread count, so results do not depend on it.
  ///
  /// - Parameter weightLayout: `.oihw` for `[C, M/g, kernel...]` as ONNX gives them, or
  ///   `.gemmPanels` as ``ConvTransposeGeometry/packedWeights(_:)`` packs them.
  /// - Parameter workspace: at least ``convTransposeWorkspaceCount(_:)`` floats, or `nil` to allocate for the call.
  package static func convTranspose(
    _ g: ConvTransposeGeometry, batch: Int, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    weightLayout: ConvWeightLayout = .oihw, bias: UnsafePointer<Float>? = nil, activation: Activation = .none,
    output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
  ) {
    let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup, rows = g.columnRowsPerGroup
    let inVolume = g.inVolume, outVolume = g.outVolume
    let columns = convTransposeColumnsPerGemm(g)
    let owned = workspace == nil ? allocateFloats(convTransposeWorkspaceCount(g)) : nil
    defer { owned?.deallocate() }
    let made = workspace ?? owned!
    for n in 0..<batch {
      let image = output + n * g.outputCountPerItem
      for c in 0..<g.outChannels { (image + c * outVolume).update(repeating: bias?[c] ?? 0, count: outVolume) }
      for group in 0..<g.groups {
        let a: GemmLeft =
          weightLayout == .gemmPanels
          ? .panels(weights + group * GemmPanels.count(rows: rows, depth: cg))
          : .matrix(MatrixView(base: weights + group * cg * rows, rowStride: 1, colStride: rows))
        let x = input + (n * g.inChannels + group * cg) * inVolume
        for j0 in stride(from: 0, to: inVolume, by: columns) {
          let width = min(columns, inVolume - j0), ldc = columnStride(width)
          SGEMM.run(
            m: rows, n: width, k: cg, a: a, b: .matrix(MatrixView(base: x + j0, rowStride: inVolume, colStride: 1)),
            store: GemmStore(c: made, ldc: ldc, holdsWholeTiles: true), pool: pool)
          // The geometry's arrays go by pointer (see `parallelFor`).
          withUnsafePointer(to: g) { g in
            parallelFor(pool, mg, (g, UnsafePointer(made), ldc, j0, width, image + group * mg * outVolume)) { context, m in
              let (g, made, ldc, j0, width, planes) = context
              addColumns(g.pointee, channel: m, columns: made, rowStride: ldc, firstInput: j0, count: width, into: planes)
            }
          }
        }
      }
      if activation != .none { Kernels.activation(activation, image, count: g.outputCountPerItem, output: image, pool: pool) }
    }
  }

  /// col2im for output channel `m` of a group: adds its `taps` rows of `columns` (`rowStride` apart;
  /// input positions `j0 ..< j0 + count`, row-major) into the channel's plane of `planes`, each where
  /// its tap lands.
  private static func addColumns(
    _ g: ConvTransposeGeometry, channel m: Int, columns: UnsafePointer<Float>, rowStride: Int, firstInput j0: Int, count: Int,
    into planes: UnsafeMutablePointer<Float>
  ) {
    let last = g.rank - 1, taps = g.taps
    let inW = g.inSizes[last], outW = g.outSizes[last], strideW = g.strides[last], kernelW = g.kernel[last]
    let plane = planes + m * g.outVolume
    for t in 0..<taps {
      let row = columns + (m * taps + t) * rowStride
      // Along the last axis input column ix lands on ix * strideW + shift: inside for ix in first ..< end.
      let shift = (t % kernelW) * g.dilations[last] - g.padsBegin[last]
      let first = max(0, KernelsGeneric.ceilDivide(-shift, strideW)), end = min(inW, floorDivide(outW - 1 - shift, strideW) + 1)
      if first >= end { continue }
      let outerTap = t / kernelW
      var j = j0
      while j < j0 + count {
        let ix = j % inW, run = min(j0 + count - j, inW - ix)
        defer { j += run }
        let lo = max(ix, first), hi = min(ix + run, end)
        guard lo < hi, let offset = outputRowOffset(g, inputRow: j / inW, outerTap: outerTap) else { continue }
        // src[c] and dst[c * strideW] for input column c of this run.
        let src = row + (j - j0 - ix), dst = plane + offset + shift
        if strideW == 1 {
          for c in lo..<hi { dst[c] += src[c] }
        } else {
          for c in lo..<hi { dst[c * strideW] += src[c] }
        }
      }
    }
  }

  /// Where, in an output plane, the output row starts that input row `inputRow` (row-major over
  /// the axes before the last) reaches through outer tap `outerTap` (row-major over the kernel's
  /// axes before the last); nil when it lands outside the output.
  @inline(__always)
  private static func outputRowOffset(_ g: ConvTransposeGeometry, inputRow: Int, outerTap: Int) -> Int? {
    var rowRest = inputRow, tapRest = outerTap, offset = 0, scale = g.outSizes[g.rank - 1]
    for a in stride(from: g.rank - 2, through: 0, by: -1) {
      let i = rowRest % g.inSizes[a], k = tapRest % g.kernel[a]
      rowRest /= g.inSizes[a]
      tapRest /= g.kernel[a]
      let o = i * g.strides[a] + k * g.dilations[a] - g.padsBegin[a]
      if o < 0 || o >= g.outSizes[a] { return nil }
      offset += o * scale
      scale *= g.outSizes[a]
    }
    return offset
  }

  /// `a / b` rounded down, for `b > 0` (`ceilDivide`'s twin).
  private static func floorDivide(_ a: Int, _ b: Int) -> Int { -KernelsGeneric.ceilDivide(-a, b) }
}
