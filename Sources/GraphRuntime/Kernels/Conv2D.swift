import GraphPlan

extension Kernels {
  /// Floats of scratch memory ``conv2d(_:input:weights:weightLayout:epilogue:output:workspace:pool:)``
  /// needs for `p` with weights in `layout`: only Winograd has any (im2col is packed in place).
  package static func conv2dWorkspaceCount(_ p: Conv2DParameters, layout: ConvWeightLayout = .oihw) -> Int {
    layout == .winograd4x4 ? WinogradConv.workspaceCount(p) : 0
  }

  /// Images whose columns go side by side into one GEMM. A small output plane makes a GEMM
  /// too narrow to keep the register tiles and the threads busy (7x7: 49 columns, padded to
  /// 64), so images with fewer than 1024 output pixels all go into one GEMM; larger planes
  /// go image by image. Each output sums K in the same order either way, so results do not
  /// depend on the batch.
  static func imagesPerGemm(_ g: Conv2DGeometry) -> Int {
    g.outHeight * g.outWidth < 4 * SGEMM.nc ? .max : 1
  }

  /// 2-D convolution with a fused epilogue, writing into a (possibly sliced) output.
  ///
  /// Same contract as `Reference.conv2d` (GraphReference). Strategy:
  /// - depthwise (one input and one output channel per group): direct loops by output rows (DepthwiseConv.swift), threads over planes;
  /// - 1x1, stride 1, no padding: the input plane already is the GEMM's B matrix;
  /// - otherwise ``SGEMM`` over the im2col matrix, packed straight from the images (``UnfoldedColumns``);
  /// - with weights transformed for Winograd F(4x4, 3x3): ``WinogradConv``.
  ///
  /// - Parameter weightLayout: `.oihw`, `.gemmPanels` as the compiler packs weights for
  ///   every conv that does not run depthwise, or `.winograd4x4` for the 3x3 convs the
  ///   compiler runs as Winograd.
  /// - Parameter workspace: at least ``conv2dWorkspaceCount(_:)`` floats, or `nil` to
  ///   allocate for the call.
  package static func conv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, weightLayout: ConvWeightLayout = .oihw,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
  ) {
    if weightLayout == .winograd4x4 {
      WinogradConv.run(p, input: input, weights: weights, epilogue: epilogue, output: output, workspace: workspace, pool: pool)
      return
    }
    if usesDirectDepthwise(p) {
      depthwiseConv2d(p, input: input, weights: weights, epilogue: epilogue, output: output, pool: pool)
      return
    }
    let g = p.geometry, w = g.window
    let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup
    let kDepth = cg * w.kernelHeight * w.kernelWidth
    let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
    let pointwise = isPointwise(p)
    func left(_ group: Int) -> GemmLeft {
      weightLayout == .gemmPanels
        ? .panels(weights + group * GemmPanels.count(rows: mg, depth: kDepth))
        : .matrix(.rowMajor(weights + group * mg * kDepth, columns: kDepth))
    }

    // C's columns are the images of a run side by side.
    let perGemm = min(p.batch, imagesPerGemm(g))
    for n0 in stride(from: 0, to: p.batch, by: perGemm) {
      let images = min(perGemm, p.batch - n0)
      let first = input + n0 * g.inChannels * inPlane
      for group in 0..<g.groups {
        // A 1x1 stride-1 conv's B is the input planes themselves; any other, their im2col.
        let b: GemmRight =
          pointwise
          ? .matrix(
            MatrixView(
              base: first + group * cg * inPlane, rowStride: inPlane, colStride: 1,
              columnsPerGroup: outPlane, groupStride: g.inChannels * inPlane))
          : .unfolded(UnfoldedColumns(g, image: first, firstChannel: group * cg))
        var store = gemmStore(p, epilogue: epilogue, output: output, image: n0, group: group, firstColumn: 0)
        store.columnsPerImage = outPlane
        store.imageStride = p.outputTotalChannels * outPlane
        store.residualImageStride = g.outChannels * outPlane
        SGEMM.run(m: mg, n: images * outPlane, k: kDepth, a: left(group), b: b, store: store, pool: pool)
      }
    }
  }

  /// Where group `group`'s GEMM for image `n` writes, from output column `firstColumn` of the plane.
  private static func gemmStore(
    _ p: Conv2DParameters, epilogue: Epilogue, output: UnsafeMutablePointer<Float>, image n: Int, group: Int, firstColumn: Int
  ) -> GemmStore {
    let g = p.geometry, mg = g.outChannelsPerGroup, outPlane = g.outHeight * g.outWidth
    return GemmStore(
      c: output + (n * p.outputTotalChannels + p.outputChannelOffset + group * mg) * outPlane + firstColumn, ldc: outPlane,
      rowBias: epilogue.bias.map { $0 + group * mg },
      residual: epilogue.residual.map { $0 + (n * g.outChannels + group * mg) * outPlane + firstColumn }, ldr: outPlane,
      activation: epilogue.activation)
  }

  static func isPointwise(_ p: Conv2DParameters) -> Bool {
    let w = p.geometry.window
    return w.kernelHeight == 1 && w.kernelWidth == 1 && w.strideHeight == 1 && w.strideWidth == 1 && w.isUnpadded
  }

  static func usesDirectDepthwise(_ p: Conv2DParameters) -> Bool { p.geometry.runsDepthwise }

  /// First tap `t` with `base + t * dilation >= 0`.
  @inline(__always)
  static func tapRangeBegin(base: Int, dilation: Int) -> Int {
    base >= 0 ? 0 : (-base + dilation - 1) / dilation
  }

  /// One past the last tap `t < kernel` with `base + t * dilation < extent`.
  @inline(__always)
  static func tapRangeEnd(base: Int, dilation: Int, extent: Int, kernel: Int) -> Int {
    if base >= extent { return 0 }
    return min(kernel, (extent - 1 - base) / dilation + 1)
  }
}
