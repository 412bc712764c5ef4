import GraphPlan

/// Chooses Winograd F(4x4, 3x3) for the 3x3 convolutions where it is faster than im2col +
/// GEMM, and stores their weights transformed (``Winograd4x4``, layout `.winograd4x4`).
/// Runs before `pack-weights`, which packs the remaining convs and drops the untransformed
/// weights from the plan.
///
/// The rule (``choosesWinograd(_:)``): 3x3, stride 1, dilation 1, one group, any padding,
/// at least 16 input and 16 output channels and an output of at least 8x8. Below that the
/// transforms cost more than the 4x fewer multiplications save, and a map under 8x8 has at
/// most 4 tiles per image (the GEMM pads them to 16 columns).
struct SelectWinograd: LoweredPass {
  let name = "winograd"

  static let minimumChannels = 16
  static let minimumOutputSide = 8

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
