import GraphPlan

extension Kernels {
  /// Floats of scratch memory ``conv2d(_:input:weights:weightLayout:epilogue:output:workspace:pool:)``
  /// needs for `p` with weights in `layout` on a pool of `threads`: only Winograd has any
  /// (im2col is packed in place).
  package static func conv2dWorkspaceCount(_ p: Conv2DParameters, layout: ConvWeightLayout = .oihw, threads: Int = 1) -> Int {
    Winograd(layout).map { WinogradConv.workspaceCount(p, $0, threads: threads) } ?? 0
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
  /// - stride 1 with few output channels a group (`Conv2DGeometry.runsShifted`) and packed
  ///   weights: GEMM tiles over the image's shifted rows (``ShiftedConv``);
  /// - 1x1, stride 1, no padding: the input plane already is the GEMM's B matrix;
  /// - otherwise ``SGEMM`` over the im2col matrix, packed straight from the images (``UnfoldedColumns``);
  /// - with weights transformed for Winograd F(4x4, 3x3) or F(2x2, 3x3): ``WinogradConv``.
  ///
  /// - Parameter weightLayout: `.oihw`, `.gemmPanels` as the compiler packs weights for
  ///   every conv that does not run depthwise, or `.winograd4x4` / `.winograd2x2` for the
  ///   3x3 convs the compiler runs as Winograd.
  /// - Parameter workspace: at least ``conv2dWorkspaceCount(_:layout:threads:)`` floats for the
  ///   pool's threads, or `nil` to
  ///   allocate for the call.
  package static func conv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, weightLayout: ConvWeightLayout = .oihw,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
  ) {
    if let variant = Winograd(weightLayout) {
      WinogradConv.run(p, variant, input: input, weights: weights, epilogue: epilogue, output: output, workspace: workspace, pool: pool)
      return
    }
    if usesDirectDepthwise(p) {
      depthwiseConv2d(p, input: input, weights: weights, epilogue: epilogue, output: output, pool: pool)
      return
    }
    if weightLayout == .gemmPanels && p.geometry.runsShifted {
      ShiftedConv.run(p, input: input, weights: weights, epilogue: epilogue, output: output, pool: pool)
      return
    }
    let g = p.geometry, inPlane = g.inHeight * g.inWidth
    let pointwise = isPointwise(p)

    // C's columns are the images of a run side by side.
    let perGemm = min(p.batch, imagesPerGemm(g))
    let bordered = pointwise ? nil : borderedGeometry(g, images: perGemm)
    for n0 in stride(from: 0, to: p.batch, by: perGemm) {
      let images = min(perGemm, p.batch - n0)
      var first = input + n0 * g.inChannels * inPlane
      var unfolded = g
      if let bordered {
        first = UnsafePointer(copyWithBorders(first, g, bordered, images: images, pool: pool))
        unfolded = bordered
      }
      // Four or more groups per thread (ResNeXt's 32, RegNet's 8-channel groups) take a thread
      // each, whatever their size: split within, every group's GEMM was its own parallel region,
      // of a few microseconds' work for a small group. The sums do not depend on the split, so
      // neither do the bits.
      let threads = pool?.threads ?? 1, groupsInParallel = threads > 1 && g.groups >= 4 * threads
      let groupGemm = GroupGemm(
        p: p, weights: weights, packed: weightLayout == .gemmPanels, epilogue: epilogue, output: output, first: first,
        unfolded: unfolded, pointwise: pointwise, firstImage: n0, images: images)
      if groupsInParallel {
        parallelFor(pool, g.groups, groupGemm) { groupGemm, group in groupGemm.run(group, pool: nil) }
      } else {
        for group in 0..<g.groups { groupGemm.run(group, pool: pool) }
      }
    }
  }

  /// One group's GEMM of a conv over the images `firstImage ..< firstImage + images`.
  private struct GroupGemm: BitwiseCopyable {
    let p: Conv2DParameters, weights: UnsafePointer<Float>
    /// Whether the weights are GEMM panels (else `[M, C/groups, KH, KW]`).
    let packed: Bool
    let epilogue: Epilogue, output: UnsafeMutablePointer<Float>
    /// The first image's input (zero-bordered when `unfolded` is the bordered geometry).
    let first: UnsafePointer<Float>, unfolded: Conv2DGeometry
    let pointwise: Bool, firstImage: Int, images: Int

    func run(_ group: Int, pool: ThreadPool?) {
      let g = p.geometry, w = g.window
      let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup
      let kDepth = cg * w.kernelHeight * w.kernelWidth
      let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
      let a: GemmLeft =
        packed
        ? .panels(weights + group * GemmPanels.count(rows: mg, depth: kDepth))
        : .matrix(.rowMajor(weights + group * mg * kDepth, columns: kDepth))
      // A 1x1 stride-1 conv's B is the input planes themselves; any other, their im2col.
      let b: GemmRight =
        pointwise
        ? .matrix(
          MatrixView(
            base: first + group * cg * inPlane, rowStride: inPlane, colStride: 1,
            columnsPerGroup: outPlane, groupStride: g.inChannels * inPlane))
        : .unfolded(UnfoldedColumns(unfolded, image: first, firstChannel: group * cg))
      var store = Kernels.gemmStore(p, epilogue: epilogue, output: output, image: firstImage, group: group, firstColumn: 0)
      store.columnsPerImage = outPlane
      store.imageStride = p.outputTotalChannels * outPlane
      store.residualImageStride = g.outChannels * outPlane
      SGEMM.run(
        m: mg, n: images * outPlane, k: kDepth, a: a, b: b, store: store, pool: pool,
        readingBInPlace: KernelTable.current.readsImagePlanesInPlace)
    }
  }

  /// Where group `group`'s GEMM for image `n` writes, from output column `firstColumn` of the plane.
  fileprivate static func gemmStore(
    _ p: Conv2DParameters, epilogue: Epilogue, output: UnsafeMutablePointer<Float>, image n: Int, group: Int, firstColumn: Int
  ) -> GemmStore {
    let g = p.geometry, mg = g.outChannelsPerGroup, outPlane = g.outHeight * g.outWidth
    return GemmStore(
      c: output + (n * p.outputTotalChannels + p.outputChannelOffset + group * mg) * outPlane + firstColumn, ldc: outPlane,
      rowBias: epilogue.bias.map { $0 + group * mg },
      residual: epilogue.residual.map { $0 + (n * g.outChannels + group * mg) * outPlane + firstColumn }, ldr: outPlane,
      activation: epilogue.activation)
  }

  /// The geometry of the input with its padding made zeros in the image, for a padded conv:
  /// a run of a GEMM panel stops at the end of an output row, so on small planes nearly every
  /// run reaches into the padding and takes the clipped copy (a fifth of a 3x3 conv's time at
  /// 14x14), and on large ones the runs at both ends of each row do. Over a zero-bordered copy
  /// of the images every run is a plain vector copy: a 3x3 conv at 14x14 took 0.92 of the
  /// time, the 7x7/2 stem about 0.85. Nil when unpadded, or when the copy would pass
  /// `maxBorderedFloats`.
  static func borderedGeometry(_ g: Conv2DGeometry, images: Int) -> Conv2DGeometry? {
    let w = g.window
    guard !w.isUnpadded else { return nil }
    let bordered = Conv2DGeometry(
      inChannels: g.inChannels, inHeight: g.inHeight + w.padTop + w.padBottom, inWidth: g.inWidth + w.padLeft + w.padRight,
      outChannels: g.outChannels, kernelHeight: w.kernelHeight, kernelWidth: w.kernelWidth, strideHeight: w.strideHeight,
      strideWidth: w.strideWidth, dilationHeight: w.dilationHeight, dilationWidth: w.dilationWidth, groups: g.groups)
    let floats = bordered.inChannels * bordered.inHeight * bordered.inWidth
    guard bordered.outHeight == g.outHeight, bordered.outWidth == g.outWidth, floats <= maxBorderedFloats / images else {
      return nil
    }
    return bordered
  }

  static let maxBorderedFloats = Conv2DGeometry.maxBorderedFloats

  /// `images` images of `g` copied between zero borders (as `bordered` lays them out) into the
  /// calling thread's bordered scratch, planes spread over the pool.
  static func copyWithBorders(
    _ input: UnsafePointer<Float>, _ g: Conv2DGeometry, _ bordered: Conv2DGeometry, images: Int, pool: ThreadPool?
  ) -> UnsafeMutablePointer<Float> {
    let planeFloats = bordered.inHeight * bordered.inWidth
    let copy = ThreadScratch.floats(images * g.inChannels * planeFloats, slot: .bordered)
    parallelFor(pool, images * g.inChannels, (input, g, bordered, copy, planeFloats)) { context, plane in
      let (input, g, bordered, copy, planeFloats) = context
      let w = g.window, width = bordered.inWidth
      let src = input + plane * g.inHeight * g.inWidth, dst = copy + plane * planeFloats
      // Rows of small planes copy in line (``copyShort``): memmove and memset calls per row cost more.
      Kernels.zeroShort(dst, count: w.padTop * width)
      for y in 0..<g.inHeight {
        let row = dst + (w.padTop + y) * width
        Kernels.zeroShort(row, count: w.padLeft)
        Kernels.copyShort(src + y * g.inWidth, to: row + w.padLeft, count: g.inWidth)
        Kernels.zeroShort(row + w.padLeft + g.inWidth, count: w.padRight)
      }
      Kernels.zeroShort(dst + (w.padTop + g.inHeight) * width, count: w.padBottom * width)
    }
    return copy
  }

  static func isPointwise(_ p: Conv2DParameters) -> Bool {
    let w = p.geometry.window
    return w.kernelHeight == 1 && w.kernelWidth == 1 && w.strideHeight == 1 && w.strideWidth == 1 && w.isUnpadded
  }

  static func usesDirectDepthwise(_ p: Conv2DParameters) -> Bool { p.geometry.runsDepthwise }
}
