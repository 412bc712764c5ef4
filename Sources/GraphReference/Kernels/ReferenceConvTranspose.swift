import GraphPlan

extension Reference {
  /// Transposed convolution (ONNX ConvTranspose) over any number of spatial axes, as its
  /// definition reads: every input value times every tap of its channel's weights, added into
  /// the output position the tap lands on (dropped outside the output), then bias and activation.
  ///
  /// - Parameters:
  ///   - input: `[batch, inChannels, inSizes...]`.
  ///   - weights: `[inChannels, outChannels / groups, kernel...]`.
  ///   - bias: one value per output channel, or nil.
  ///   - output: `[batch, outChannels, outSizes...]`.
  public static func convTranspose(
    _ g: ConvTransposeGeometry, batch: Int, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    bias: UnsafePointer<Float>? = nil, activation: Activation = .none, output: UnsafeMutablePointer<Float>
  ) {
    let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup, taps = g.taps
    let inVolume = g.inVolume, outVolume = g.outVolume
    var sums = [Float](repeating: 0, count: g.outputCountPerItem)
    /// Row-major coordinates of flat index `flat` over `sizes`.
    func coordinates(_ flat: Int, _ sizes: [Int]) -> [Int] {
      var rest = flat, c = [Int](repeating: 0, count: sizes.count)
      for a in sizes.indices.reversed() {
        c[a] = rest % sizes[a]
        rest /= sizes[a]
      }
      return c
    }
    let inCoordinates = (0..<inVolume).map { coordinates($0, g.inSizes) }
    let tapCoordinates = (0..<taps).map { coordinates($0, g.kernel) }
    for n in 0..<batch {
      for i in sums.indices { sums[i] = 0 }
      for c in 0..<g.inChannels {
        let group = c / cg
        for position in 0..<inVolume {
          let x = input[(n * g.inChannels + c) * inVolume + position]
          for m in 0..<mg {
            for t in 0..<taps {
              // Where tap t of input `position` lands, nil outside the output.
              var o = 0, inside = true
              for a in 0..<g.rank {
                let coordinate = inCoordinates[position][a] * g.strides[a] + tapCoordinates[t][a] * g.dilations[a] - g.padsBegin[a]
                if coordinate < 0 || coordinate >= g.outSizes[a] { inside = false; break }
                o = o * g.outSizes[a] + coordinate
              }
              guard inside else { continue }
              sums[(group * mg + m) * outVolume + o] += x * weights[(c * mg + m) * taps + t]
            }
          }
        }
      }
      for oc in 0..<g.outChannels {
        for o in 0..<outVolume {
          output[(n * g.outChannels + oc) * outVolume + o] = activate(activation, sums[oc * outVolume + o] + (bias?[oc] ?? 0))
        }
      }
    }
  }
}
