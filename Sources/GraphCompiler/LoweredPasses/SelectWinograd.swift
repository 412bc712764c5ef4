import GraphPlan

/// Chooses Winograd F(4x4, 3x3) for the 3x3 convolutions where it is faster than im2col +
/// GEMM, and stores their weights transformed (``Winograd4x4``, layout `.winograd4x4`).
/// Runs before `pack-weights`, which packs the remaining convs and drops the untransformed
/// weights from the plan.
///
/// The rule (``choosesWinograd(_:)``): 3x3, stride 1, dilation 1, one group, any padding,
/// at least 16 input and 16 output channels and an output of at least 12x12 (9 tiles per
/// image). Measured single layers (C = M, 1 thread, graphrun im2col+GEMM / Winograd,
/// medians): 2.8-3.3x at 64@56², 2.0x at 128@28², 2.4x at 256@14², 2.6x at 512@28²,
/// 1.2-1.5x at 64-256@12², 1.0-1.7x at 16-32@12-16²; 7x7 and 8x8 lost (0.7-0.8x): 4 tiles
/// padded to the GEMM's 16 columns do no fewer multiplications than direct convolution.
///
/// In a whole network the tiles' weights come from memory, not from a cache warmed by the layer
/// before, and an item with few tiles gives each of the 36 GEMMs one panel of B. Before the
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

  static func choosesWinograd(_ g: Conv2DGeometry) -> Bool {
    Winograd4x4.applies(to: g) && g.inChannels >= minimumChannels && g.outChannels >= minimumChannels
      && g.outHeight >= minimumOutputSide && g.outWidth >= minimumOutputSide
  }

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    for i in program.steps.indices {
      guard case .conv(var conv) = program.steps[i].kernel, conv.weightLayout == .oihw,
        Self.choosesWinograd(conv.geometry)
      else { continue }
      let g = conv.geometry
      let transformed = program.weights.data.withUnsafeBufferPointer { all in
        Winograd4x4.transformWeights(
          UnsafeBufferPointer(rebasing: all[conv.weights.offset..<(conv.weights.offset + conv.weights.count)]),
          outChannels: g.outChannels, inChannels: g.inChannels)
      }
      conv.weights = program.weights.add(transformed)
      conv.weightLayout = .winograd4x4
      program.steps[i].kernel = .conv(conv)
    }
  }
}
