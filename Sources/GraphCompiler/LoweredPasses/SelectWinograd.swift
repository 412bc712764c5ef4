import GraphPlan

/// Chooses Winograd for the 3x3 convolutions where it is faster than im2col + GEMM, and
/// stores their weights transformed (``Winograd``: layouts `.winograd4x4` and `.winograd2x2`).
/// Runs before `pack-weights`, which packs the remaining convs and drops the untransformed
/// weights from the plan.
///
/// The rule (``variant(for:)``): 3x3, stride 1, dilation 1, one group, any padding, at least
/// 16 input and 16 output channels; F(4x4, 3x3) for an output of at least 12x12 (9 tiles per
/// image), F(2x2, 3x3) for one from 6x6 to 11x11. Measured single layers (C = M, 1 thread,
/// graphrun im2col+GEMM / Winograd, medians): 2.8-3.3x at 64@56², 2.0x at 128@28², 2.4x at
/// 256@14², 2.6x at 512@28², 1.2-1.5x at 64-256@12², 1.0-1.7x at 16-32@12-16²; F(4x4) lost at
/// 7x7 and 8x8 (0.7-0.8x): 4 tiles padded to the GEMM's 16 columns do no fewer multiplications
/// than direct convolution.
///
/// F(2x2) gives a 7x7 output 16 tiles, one whole panel of 16 columns, and 1.72x fewer
/// multiplications than direct convolution, but 16/9 as many weights. At batch 1 those weights
/// stream from memory (4 multiply-adds per byte), so the gain there is smaller than the
/// arithmetic's. Per layer in the network (step minimum of 3 alternated `--profile` runs,
/// direct -> F(2x2)): ResNet-18's three 512-channel convs at 7x7 7.40 -> 6.67 ms at 1 thread,
/// 4.23 -> 3.42 at 2; GoogLeNet's two at 7x7 1.25 -> 1.11 and 0.69 -> 0.67; ResNet-50's two
/// 5.23 -> 5.31 and 2.94 -> 2.74; at batch 8 and 2 threads GoogLeNet's 4.99 -> 3.66 and
/// ResNet-50's 21.8 -> 14.8. A 5x5 output has 9 tiles padded to 16 (no gain), so 6x6 is the floor.
///
/// In a whole network the tiles' weights come from memory, not from a cache warmed by the layer
/// before, and an item with few tiles gives each of the GEMMs one panel of B. Before the
/// GEMM tiles prefetched their weights, that made GoogLeNet's 3x3 convs at 14x14 (16 tiles)
/// 1.2-1.45x slower at batch 1 than im2col + GEMM, and plan format 8 kept GEMM weights for
/// such convs at small batches. With the prefetch Winograd won at batch 1 too (1 and 2
/// threads, per layer in the network): ResNet-18's 256-channel convs at 14x14 1.27 -> 0.76
/// ms, GoogLeNet's five at 14x14 by 1.15-1.33x, chains of 3x3 convs at 12x12 (9 tiles) and
/// 13x13 by 1.25x and 1.5x. So a conv runs the same algorithm at every batch.
struct SelectWinograd: LoweredPass {
  let name = "winograd"

  static let minimumChannels = 16
  static let minimumOutputSide = 12
  static let minimumSmallOutputSide = 6

  /// The Winograd variant for a conv, or nil to leave it to im2col + GEMM.
  static func variant(for g: Conv2DGeometry) -> Winograd? {
    guard Winograd.applies(to: g), g.inChannels >= minimumChannels, g.outChannels >= minimumChannels else { return nil }
    let side = min(g.outHeight, g.outWidth)
    if side >= minimumOutputSide { return .f4x4 }
    if side >= minimumSmallOutputSide { return .f2x2 }
    return nil
  }

  /// How a conv with these weights runs and, when not as Winograd, why not: what
  /// `graphc compile --report` counts (the per-layer "which algorithm and why").
  static func algorithm(_ g: Conv2DGeometry, _ layout: ConvWeightLayout) -> String {
    if let variant = Winograd(layout) { return variant == .f4x4 ? "Winograd F(4x4,3x3)" : "Winograd F(2x2,3x3)" }
    if g.runsDepthwise { return g.runsDepthwiseInChannelBlocks ? "depthwise, 16 channels at a time" : "depthwise, a plane at a time" }
    let w = g.window
    let pointwise = w.kernelHeight == 1 && w.kernelWidth == 1 && w.strideHeight == 1 && w.strideWidth == 1
      && w.padTop == 0 && w.padLeft == 0 && w.padBottom == 0 && w.padRight == 0
    if pointwise && g.groups == 1 { return "GEMM on the input (1x1)" }
    let why: String
    let stride = w.strideHeight == w.strideWidth ? "\(w.strideHeight)" : "\(w.strideHeight)x\(w.strideWidth)"
    if w.kernelHeight == 1 && w.kernelWidth == 1 {
      why = w.strideHeight != 1 || w.strideWidth != 1 ? "1x1, stride \(stride)" : g.groups != 1 ? "1x1, \(g.groups) groups" : "1x1, padded"
    } else if w.kernelHeight != 3 || w.kernelWidth != 3 {
      why = "\(w.kernelHeight)x\(w.kernelWidth) window"
    } else if w.strideHeight != 1 || w.strideWidth != 1 {
      why = "stride \(stride)"
    } else if w.dilationHeight != 1 || w.dilationWidth != 1 {
      why = "dilated"
    } else if g.groups != 1 {
      why = "\(g.groups) groups"
    } else if min(g.inChannels, g.outChannels) < minimumChannels {
      why = "under \(minimumChannels) channels"
    } else {
      why = "output under \(minimumSmallOutputSide)x\(minimumSmallOutputSide)"
    }
    return "im2col + GEMM (\(why))"
  }

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    guard context.winograd else { return }
    for i in program.steps.indices {
      guard case .conv(var conv) = program.steps[i].kernel, conv.weightLayout == .oihw,
        let variant = Self.variant(for: conv.geometry)
      else { continue }
      let g = conv.geometry
      let transformed = program.weights.data.withUnsafeBufferPointer { all in
        variant.transformWeights(
          UnsafeBufferPointer(rebasing: all[conv.weights.offset..<(conv.weights.offset + conv.weights.count)]),
          outChannels: g.outChannels, inChannels: g.inChannels)
      }
      conv.weights = program.weights.add(transformed)
      conv.weightLayout = variant.weightLayout
      program.steps[i].kernel = .conv(conv)
    }
  }

  /// Convs per ``algorithm(_:_:)`` in a finished program (compiled with Winograd allowed or not).
  static func algorithms(_ program: LoweredProgram, winograd: Bool = true) -> [String: Int] {
    var counts: [String: Int] = [:]
    for step in program.steps {
      guard case .conv(let conv) = step.kernel else { continue }
      let offByOption = !winograd && Winograd(conv.weightLayout) == nil && variant(for: conv.geometry) != nil
      counts[offByOption ? "im2col + GEMM (Winograd turned off)" : algorithm(conv.geometry, conv.weightLayout), default: 0] += 1
    }
    return counts
  }
}
