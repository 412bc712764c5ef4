extension Reference {
  /// Direct 2-D convolution with groups, strides, dilations, pads, a fused epilogue and
  /// an optional channel-slice output (see ``Conv2DParameters``).
  ///
  /// - Parameters:
  ///   - input: `[batch, inChannels, inHeight, inWidth]`.
  ///   - weights: `[outChannels, inChannels / groups, kernelH, kernelW]`.
  ///   - output: the destination tensor `[batch, outputTotalChannels, outHeight, outWidth]`.
  public static func conv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>
  ) {
    let oh = p.outHeight, ow = p.outWidth
    let cg = p.inChannelsPerGroup, mg = p.outChannelsPerGroup
    for n in 0..<p.batch {
      for oc in 0..<p.outChannels {
        let g = oc / mg
        for oy in 0..<oh {
          for ox in 0..<ow {
            var acc: Float = 0
            for ci in 0..<cg {
              let ic = g * cg + ci
              for ky in 0..<p.kernelH {
                let iy = oy * p.strideH - p.padTop + ky * p.dilationH
                if iy < 0 || iy >= p.inHeight { continue }
                for kx in 0..<p.kernelW {
                  let ix = ox * p.strideW - p.padLeft + kx * p.dilationW
                  if ix < 0 || ix >= p.inWidth { continue }
                  let x = input[((n * p.inChannels + ic) * p.inHeight + iy) * p.inWidth + ix]
                  let w = weights[((oc * cg + ci) * p.kernelH + ky) * p.kernelW + kx]
                  acc += x * w
                }
              }
            }
            if let bias = epilogue.bias { acc += bias[oc] }
            if let residual = epilogue.residual { acc += residual[((n * p.outChannels + oc) * oh + oy) * ow + ox] }
            let dst = ((n * p.outputTotalChannels + p.outputChannelOffset + oc) * oh + oy) * ow + ox
            output[dst] = epilogue.activation.apply(acc)
          }
        }
      }
    }
  }
}
