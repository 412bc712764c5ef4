extension Kernels {
  /// Floats of scratch memory ``conv2d(_:input:weights:epilogue:output:workspace:pool:)``
  /// needs for `p` (0 when it runs without im2col).
  public static func conv2dWorkspaceCount(_ p: Conv2DParameters) -> Int {
    if usesDirectDepthwise(p) || isPointwise(p) { return 0 }
    return p.inChannelsPerGroup * p.kernelH * p.kernelW * p.outHeight * p.outWidth
  }

  /// 2-D convolution with a fused epilogue, writing into a (possibly sliced) output.
  ///
  /// Same contract as ``Reference/conv2d(_:input:weights:epilogue:output:)``. Strategy:
  /// - depthwise (one input and one output channel per group): direct loops, threads over planes;
  /// - 1x1, stride 1, no padding: the input plane already is the GEMM's B matrix;
  /// - otherwise im2col per image and group, then ``SGEMM``.
  ///
  /// - Parameter workspace: at least ``conv2dWorkspaceCount(_:)`` floats, or `nil` to
  ///   allocate for the call.
  public static func conv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
  ) {
    if usesDirectDepthwise(p) {
      depthwiseConv2d(p, input: input, weights: weights, epilogue: epilogue, output: output, pool: pool)
      return
    }
    let cg = p.inChannelsPerGroup, mg = p.outChannelsPerGroup
    let kDepth = cg * p.kernelH * p.kernelW
    let outPlane = p.outHeight * p.outWidth, inPlane = p.inHeight * p.inWidth
    let pointwise = isPointwise(p)
    let needed = conv2dWorkspaceCount(p)
    let columns = pointwise ? nil : (workspace ?? allocateFloats(needed))
    defer { if workspace == nil, let columns { columns.deallocate() } }

    for n in 0..<p.batch {
      let image = input + n * p.inChannels * inPlane
      for g in 0..<p.groups {
        let b: MatrixView
        if let columns {
          Im2Col.unfold(p, image: image, firstChannel: g * cg, channels: cg, columns: columns, pool: pool)
          b = .rowMajor(columns, columns: outPlane)
        } else {
          b = .rowMajor(image + g * cg * inPlane, columns: outPlane)
        }
        let store = GemmStore(
          c: output + (n * p.outputTotalChannels + p.outputChannelOffset + g * mg) * outPlane, ldc: outPlane,
          rowBias: epilogue.bias.map { $0 + g * mg },
          residual: epilogue.residual.map { $0 + (n * p.outChannels + g * mg) * outPlane }, ldr: outPlane,
          activation: epilogue.activation)
        SGEMM.run(
          m: mg, n: outPlane, k: kDepth, a: .rowMajor(weights + g * mg * kDepth, columns: kDepth), b: b,
          store: store, pool: pool)
      }
    }
  }

  static func isPointwise(_ p: Conv2DParameters) -> Bool {
    p.kernelH == 1 && p.kernelW == 1 && p.strideH == 1 && p.strideW == 1
      && p.padTop == 0 && p.padLeft == 0 && p.padBottom == 0 && p.padRight == 0
  }

  static func usesDirectDepthwise(_ p: Conv2DParameters) -> Bool {
    p.groups > 1 && p.inChannelsPerGroup == 1 && p.outChannelsPerGroup == 1
  }

  /// Depthwise convolution by direct loops, clipping the kernel window to the input once
  /// per output row and column instead of testing every tap.
  static func depthwiseConv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue, output: UnsafeMutablePointer<Float>, pool: ThreadPool?
  ) {
    let oh = p.outHeight, ow = p.outWidth
    parallelFor(pool, p.batch * p.outChannels) { plane in
      let n = plane / p.outChannels, c = plane % p.outChannels
      let src = input + plane * p.inHeight * p.inWidth
      let w = weights + c * p.kernelH * p.kernelW
      let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * oh * ow
      let residual = epilogue.residual.map { $0 + plane * oh * ow }
      let bias = epilogue.bias.map { $0[c] } ?? 0
      for oy in 0..<oh {
        let yBase = oy * p.strideH - p.padTop
        let kyBegin = tapRangeBegin(base: yBase, dilation: p.dilationH)
        let kyEnd = tapRangeEnd(base: yBase, dilation: p.dilationH, extent: p.inHeight, kernel: p.kernelH)
        for ox in 0..<ow {
          let xBase = ox * p.strideW - p.padLeft
          let kxBegin = tapRangeBegin(base: xBase, dilation: p.dilationW)
          let kxEnd = tapRangeEnd(base: xBase, dilation: p.dilationW, extent: p.inWidth, kernel: p.kernelW)
          var acc: Float = 0
          var ky = kyBegin
          while ky < kyEnd {
            let row = src + (yBase + ky * p.dilationH) * p.inWidth + xBase
            let wRow = w + ky * p.kernelW
            var kx = kxBegin
            while kx < kxEnd {
              acc += row[kx * p.dilationW] * wRow[kx]
              kx += 1
            }
            ky += 1
          }
          var v = acc + bias
          if let residual { v += residual[oy * ow + ox] }
          dst[oy * ow + ox] = epilogue.activation.apply(v)
        }
      }
    }
  }

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
