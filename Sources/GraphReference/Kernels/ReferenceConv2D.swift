import GraphPlan

extension Reference {
  /// Direct 2-D convolution with groups, strides, dilations, pads, a fused epilogue and
  /// an optional channel-slice output (see ``Conv2DParameters``).
  ///
  /// - Parameters:
  ///   - input: `[batch, inChannels, inHeight, inWidth]`.
  ///   - weights: `[outChannels, inChannels / groups, kernelHeight, kernelWidth]`.
  ///   - output: the destination tensor `[batch, outputTotalChannels, outHeight, outWidth]`.
  public static func conv2d(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>
  ) {
    let g = p.geometry, w = g.window
    let oh = g.outHeight, ow = g.outWidth
    let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup
    for n in 0..<p.batch {
      for oc in 0..<g.outChannels {
        let group = oc / mg
        for oy in 0..<oh {
          for ox in 0..<ow {
            var acc: Float = 0
            for ci in 0..<cg {
              let ic = group * cg + ci
              for ky in 0..<w.kernelHeight {
                let iy = oy * w.strideHeight - w.padTop + ky * w.dilationHeight
                if iy < 0 || iy >= g.inHeight { continue }
                for kx in 0..<w.kernelWidth {
                  let ix = ox * w.strideWidth - w.padLeft + kx * w.dilationWidth
                  if ix < 0 || ix >= g.inWidth { continue }
                  let x = input[((n * g.inChannels + ic) * g.inHeight + iy) * g.inWidth + ix]
                  let w = weights[((oc * cg + ci) * w.kernelHeight + ky) * w.kernelWidth + kx]
                  acc += x * w
                }
              }
            }
            if let bias = epilogue.bias { acc += bias[oc] }
            if let residual = epilogue.residual { acc += residual[((n * g.outChannels + oc) * oh + oy) * ow + ox] }
            let dst = ((n * p.outputTotalChannels + p.outputChannelOffset + oc) * oh + oy) * ow + ox
            output[dst] = activate(epilogue.activation, acc)
          }
        }
      }
    }
  }
}
