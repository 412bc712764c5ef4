import GraphPlan

/// A max pool's output rows cut into one band per thread, each band a pool of its own: the input
/// rows its windows reach, with the padding above the band's first window (see
/// `Kernels.maxPoolByBands`). Only for planes of at least ``minimumOutputRows`` output rows, at
/// least 4 a band, without vertical dilation, where every band has input rows.
struct MaxPoolBands: BitwiseCopyable {
  /// Output rows a plane needs before it is split by rows (the 56x56 pool after a 7x7/2 stem).
  static let minimumOutputRows = 56

  let geometry: Pool2DGeometry
  let count: Int

  init?(_ g: Pool2DGeometry, threads: Int) {
    guard threads > 1, g.outHeight >= Self.minimumOutputRows, g.outHeight >= 4 * threads, g.window.dilationHeight == 1
    else { return nil }
    (geometry, count) = (g, threads)
    // Output rows whose windows lie wholly in the bottom padding (only a crafted plan has them)
    // would leave a band with no input rows.
    guard (0..<count).allSatisfy({ band($0).geometry.inHeight > 0 }) else { return nil }
  }

  /// Band `index`: where its output and input rows start, and the pool it is.
  func band(_ index: Int) -> (rows: (output: Int, input: Int), geometry: Pool2DGeometry) {
    let g = geometry, w = g.window
    let oy0 = index * g.outHeight / count, oy1 = (index + 1) * g.outHeight / count
    // Output row `oy` reads input rows from `oy * stride - padTop`, `kernelHeight` of them.
    let first = oy0 * w.strideHeight - w.padTop
    let iy0 = max(0, first), iy1 = min(g.inHeight, (oy1 - 1) * w.strideHeight - w.padTop + w.kernelHeight)
    var part = g
    part.inHeight = iy1 - iy0
    part.outHeight = oy1 - oy0
    part.window.padTop = iy0 - first
    part.window.padBottom = (oy1 - 1) * w.strideHeight - w.padTop + w.kernelHeight - iy1
    return ((oy0, iy0), part)
  }
}
