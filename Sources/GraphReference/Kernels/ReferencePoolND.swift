import GraphPlan

extension Reference {
  /// Max or average pooling over any number of spatial axes, with ``pool2d(_:input:output:)``'s
  /// conventions (see ``PoolNDParameters``): max ignores padded positions (a window lying
  /// entirely in padding yields `-Float.greatestFiniteMagnitude`); average divides by the taps
  /// inside the input, or with `countIncludePad` by those inside the *padded* input.
  public static func poolND(_ p: PoolNDParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let g = p.geometry, w = g.window
    let outVolume = g.outVolume, inVolume = g.inVolume, taps = w.taps
    var position = WindowPosition(w, outSizes: g.outSizes, inSizes: g.inSizes)
    for n in 0..<p.batch {
      for c in 0..<g.channels {
        let src = input + (n * g.channels + c) * inVolume
        let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * outVolume
        for o in 0..<outVolume {
          position.moveTo(output: o)
          var maxValue = -Float.greatestFiniteMagnitude
          var sum: Float = 0
          var inBounds = 0
          for t in 0..<taps {
            guard let i = position.input(tap: t) else { continue }
            let x = src[i]
            inBounds += 1
            sum += x
            if x > maxValue || x.isNaN { maxValue = x }
          }
          switch p.kind {
          case .max:
            dst[o] = maxValue
          case .average:
            // Taps inside the padded input: per axis, then their product.
            let inPadded = (0..<w.rank).reduce(1) { count, i in count * (0..<w.kernel[i]).filter { position.isInPadded(axis: i, tap: $0) }.count }
            let divisor = p.countIncludePad ? inPadded : inBounds
            dst[o] = divisor == 0 ? 0 : sum / Float(divisor)
          }
        }
      }
    }
  }
}
