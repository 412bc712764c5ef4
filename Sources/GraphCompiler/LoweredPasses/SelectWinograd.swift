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
/// In a whole network the single-layer figures flatter Winograd where an item has few tiles:
/// each of the 36 GEMMs then has one panel of B per item, and the transformed weights (four
/// times the plain ones) come from memory, not from a cache warmed by the layer before. At
/// batch 1, GoogLeNet's 3x3 convs at 14x14 (16 tiles) took 1.2-1.45x as long as im2col + GEMM
/// and ResNet-50's tied; at batch 2 they tied and won by 1.1-1.4x; at batch 8 won by
/// 1.2-1.7x. So a conv with fewer than ``minimumTiles`` tiles per item also keeps its weights
/// as GEMM panels (``GemmFallback``), which the runtime uses below the batch that reaches them.
struct SelectWinograd: LoweredPass {
  let name = "winograd"

  static let minimumChannels = 16
  static let minimumOutputSide = 12
  /// Tiles per GEMM from which Winograd pays in a network (two panels of B).
  static let minimumTiles = 32

  /// The batch from which a Winograd conv runs as Winograd: 1, or more for small outputs.
  static func winogradFromBatch(_ g: Conv2DGeometry) -> Int {
    let tiles = ((g.outHeight + 3) / 4) * ((g.outWidth + 3) / 4)
    return (minimumTiles + tiles - 1) / tiles
  }

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
      let fromBatch = Self.winogradFromBatch(g)
      // The untransformed weights stay for the small batches; pack-weights packs them.
      if fromBatch > 1 { conv.gemmFallback = GemmFallback(weights: conv.weights, belowBatch: fromBatch) }
      conv.weights = program.weights.add(transformed)
      conv.weightLayout = .winograd4x4
      program.steps[i].kernel = .conv(conv)
    }
  }
}
