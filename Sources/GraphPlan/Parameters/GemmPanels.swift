/// How a convolution's weights sit in the plan: as ONNX gives them, already packed
/// into the register-tile panels the GEMM reads, so no inference re-packs them, or
/// transformed for Winograd F(4x4, 3x3) or F(2x2, 3x3) (``Winograd``).
public enum ConvWeightLayout: UInt8, Sendable, Equatable {
  /// `[M, C/groups, KH, KW]` row-major.
  case oihw = 0
  /// Per group, the `[M/groups, C/groups * KH * KW]` matrix in ``GemmPanels`` order.
  case gemmPanels = 1
  /// 3x3 stride-1 convs run as Winograd F(4x4, 3x3): the 36 transformed matrices
  /// `U[ξ] = (G g Gᵀ)[ξ]`, each `[M, C]` in ``GemmPanels`` order (``Winograd``).
  case winograd4x4 = 2
  /// 3x3 stride-1 convs on small maps run as Winograd F(2x2, 3x3): 16 matrices, as above.
  case winograd2x2 = 3
}

/// The packed order of a GEMM's left operand `A [m, k]`, written once: the compiler packs
/// conv weights in it and the runtime's GEMM reads its panels in place.
///
/// Rows go in blocks of ``rowsPerBlock``; each block's depth in slices of ``depthPerSlice``;
/// each slice is ``rowsPerPanel``-row panels stored depth-major (`[panel][p][row]`), rows
/// past `m` zero. Blocks follow one another, slices within a block too, so a block's slice
/// starts at ``offset(rowBlockStart:rows:depth:sliceStart:)``.
public enum GemmPanels {
  /// Rows of one register tile (the micro-kernel's `mr`).
  public static let rowsPerPanel = 6
  /// Depth of one slice (the GEMM's `kc`).
  public static let depthPerSlice = 256
  /// Rows of one cache block (the GEMM's `mc`), a multiple of ``rowsPerPanel``.
  public static let rowsPerBlock = 96

  /// Floats of `A [m, k]` once packed: rows rounded up to whole panels.
  public static func count(rows m: Int, depth k: Int) -> Int {
    (m + rowsPerPanel - 1) / rowsPerPanel * rowsPerPanel * k
  }

  /// Where the panels of the block starting at row `i0` (`rows` rows) and the slice
  /// starting at depth `p0` begin.
  public static func offset(rowBlockStart i0: Int, rows: Int, depth k: Int, sliceStart p0: Int) -> Int {
    let paddedRows = (rows + rowsPerPanel - 1) / rowsPerPanel * rowsPerPanel
    return i0 * k + paddedRows * p0
  }

  /// Packs `[M, C/groups, KH, KW]` conv weights: each group's `[M/g, C/g * KH * KW]`
  /// matrix in turn (``ConvWeightLayout/gemmPanels``).
  public static func packConv(_ weights: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry) -> [Float] {
    packConv(
      weights, groups: g.groups, rows: g.outChannelsPerGroup, depth: g.inChannelsPerGroup * g.window.kernelHeight * g.window.kernelWidth)
  }

  /// Packs `[M, C/groups, kernel...]` conv weights over any number of spatial axes, each group's `[M/g, C/g * taps]` matrix in turn.
  public static func packConv(_ weights: UnsafeBufferPointer<Float>, _ g: ConvNDGeometry) -> [Float] {
    packConv(weights, groups: g.groups, rows: g.outChannelsPerGroup, depth: g.depthPerGroup)
  }

  /// Packs each of `groups` row-major `[rows, depth]` matrices in turn.
  private static func packConv(_ weights: UnsafeBufferPointer<Float>, groups: Int, rows: Int, depth: Int) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(groups * count(rows: rows, depth: depth))
    for group in 0..<groups {
      let start = group * rows * depth
      out += pack(UnsafeBufferPointer(rebasing: weights[start..<(start + rows * depth)]), rows: rows, depth: depth)
    }
    return out
  }

  /// Packs row-major `a [m, k]` (`a[i * k + p]`).
  public static func pack(_ a: UnsafeBufferPointer<Float>, rows m: Int, depth k: Int) -> [Float] {
    var out = [Float](repeating: 0, count: count(rows: m, depth: k))
    var cursor = 0
    for i0 in stride(from: 0, to: m, by: rowsPerBlock) {
      let rows = min(rowsPerBlock, m - i0)
      let panels = (rows + rowsPerPanel - 1) / rowsPerPanel
      for p0 in stride(from: 0, to: k, by: depthPerSlice) {
        let depth = min(depthPerSlice, k - p0)
        for panel in 0..<panels {
          for p in 0..<depth {
            for r in 0..<rowsPerPanel {
              let row = panel * rowsPerPanel + r
              if row < rows { out[cursor] = a[(i0 + row) * k + p0 + p] }
              cursor += 1
            }
          }
        }
      }
    }
    return out
  }
}
