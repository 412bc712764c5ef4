import GraphPlan

/// The im2col matrix of one group of a convolution, read in place: `[cg * kh * kw, columns]`,
/// row `(c, ky, kx)`, column `j` = output pixel `j % outPlane` of image `j / outPlane`; taps
/// that fall in the padding read as zeros. Its product with the group's `[mg, cg * kh * kw]`
/// weights is the convolution.
///
/// The GEMM packs its register-tile panels of B straight from the images through
/// ``packPanel(p0:depth:firstColumn:width:into:)``: no column matrix is ever written out,
/// so there is no workspace to size (VGG's first layer would unfold 110 MiB) and the
/// packed panels are made while the taps are still in cache.
struct UnfoldedColumns {
  let geometry: Conv2DGeometry
  /// Channel `firstChannel` of the first image.
  let base: UnsafePointer<Float>
  /// Floats from one image to the next (`inChannels * inH * inW`).
  let imageStride: Int

  init(_ g: Conv2DGeometry, image: UnsafePointer<Float>, firstChannel: Int) {
    geometry = g
    base = image + firstChannel * g.inHeight * g.inWidth
    imageStride = g.inChannels * g.inHeight * g.inWidth
  }

  /// `out[p][l] = B[p0 + p, firstColumn + l]` for `p < depth`, `l < 16`; zero for `l >= width`.
  ///
  /// The panel's columns go in runs that share an image and an output row; a run reads each
  /// tap row at the conv's horizontal stride, by vectors where it can (the instruction set's `im2colRun`).
  func packPanel(p0: Int, depth: Int, firstColumn j0: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
    let g = geometry, ow = g.outWidth, outPlane = g.outHeight * ow, w = g.window
    let window = w.shape
    if width < SGEMM.nr {
      // Whole zero rows (one vector store each, not a memset call per row); the runs then
      // overwrite lanes 0..<width.
      for p in 0..<depth { UnsafeMutableRawPointer(out + p * SGEMM.nr).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self) }
    }
    var lane = 0
    while lane < width {
      let j = j0 + lane
      let n = j / outPlane, pixel = j % outPlane
      let oy = pixel / ow, ox = pixel % ow
      let count = min(width - lane, ow - ox)
      KernelTable.current.im2colRun(
        base + n * imageStride, g.inHeight, g.inWidth, window, oy, ox, count, p0, depth, out + lane)
      lane += count
    }
  }
}
