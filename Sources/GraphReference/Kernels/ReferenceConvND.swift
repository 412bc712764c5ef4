import GraphPlan

extension Reference {
  /// Direct convolution over any number of spatial axes, with groups, strides, dilations, pads,
  /// a fused epilogue and an optional channel-slice output (see ``ConvNDParameters``). Over two
  /// axes it sums in ``conv2d(_:input:weights:epilogue:output:)``'s order, so the two agree bit for bit.
  ///
  /// - Parameters:
  ///   - input: `[batch, inChannels, inSizes...]`.
  ///   - weights: `[outChannels, inChannels / groups, kernel...]`.
  ///   - output: the destination tensor `[batch, outputTotalChannels, outSizes...]`.
  public static func convND(
    _ p: ConvNDParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>
  ) {
    let g = p.geometry, w = g.window
    let outSizes = g.outSizes, outVolume = g.outVolume, inVolume = g.inVolume, taps = w.taps
    let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup
    var position = WindowPosition(w, outSizes: outSizes, inSizes: g.inSizes)
    for n in 0..<p.batch {
      for oc in 0..<g.outChannels {
        let group = oc / mg
        for o in 0..<outVolume {
          position.moveTo(output: o)
          var acc: Float = 0
          for ci in 0..<cg {
            let image = input + (n * g.inChannels + group * cg + ci) * inVolume
            for t in 0..<taps {
              guard let i = position.input(tap: t) else { continue }
              acc += image[i] * weights[(oc * cg + ci) * taps + t]
            }
          }
          if let bias = epilogue.bias { acc += bias[oc] }
          if let residual = epilogue.residual { acc += residual[(n * g.outChannels + oc) * outVolume + o] }
          output[(n * p.outputTotalChannels + p.outputChannelOffset + oc) * outVolume + o] = activate(epilogue.activation, acc)
        }
      }
    }
  }
}

/// One output position of an N-D window and the input positions its taps read, for the
/// reference kernels: row-major positions in and out, no allocation per tap.
struct WindowPosition {
  let window: WindowND
  let outSizes: [Int]
  let inSizes: [Int]
  /// Where the current window starts along each axis (`o * stride - padBegin`).
  private var starts: [Int]
  /// The current tap's kernel index along each axis.
  private var tap: [Int]

  init(_ window: WindowND, outSizes: [Int], inSizes: [Int]) {
    self.window = window
    self.outSizes = outSizes
    self.inSizes = inSizes
    starts = Array(repeating: 0, count: window.rank)
    tap = Array(repeating: 0, count: window.rank)
  }

  /// Makes row-major output position `o` the current one.
  mutating func moveTo(output o: Int) {
    var rest = o
    for i in (0..<window.rank).reversed() {
      starts[i] = (rest % outSizes[i]) * window.strides[i] - window.padsBegin[i]
      rest /= outSizes[i]
    }
  }

  /// Where axis `i` of tap `k` (along that axis) lands in the input, for the current position.
  func coordinate(axis i: Int, tap k: Int) -> Int { starts[i] + k * window.dilations[i] }

  /// The row-major input position of row-major tap `t`, nil when it falls in the padding.
  mutating func input(tap t: Int) -> Int? {
    var rest = t
    for i in (0..<window.rank).reversed() {
      tap[i] = rest % window.kernel[i]
      rest /= window.kernel[i]
    }
    var index = 0
    for i in 0..<window.rank {
      let x = coordinate(axis: i, tap: tap[i])
      if x < 0 || x >= inSizes[i] { return nil }
      index = index * inSizes[i] + x
    }
    return index
  }

  /// Whether axis `i` of tap `k` lies inside the padded input (padding counted, positions a
  /// ceil-mode window puts beyond the end padding not).
  func isInPadded(axis i: Int, tap k: Int) -> Bool {
    let x = coordinate(axis: i, tap: k)
    return x >= -window.padsBegin[i] && x < inSizes[i] + window.padsEnd[i]
  }
}
