import GraphPlan

/// Runs a 1x1 convolution over a 1x1 plane as a dense step: squeeze-and-excitation's two small
/// layers (EfficientNet, MobileNet-V3, RegNet-Y) and classifiers written as convs. As a GEMM
/// such a conv has one column per image, which the register tiles pad to a 16-wide panel
/// after packing it; the dense step reads each weight once. Measured on EfficientNet-B0 at
/// 1 thread: its 32 such convs took 1.0 ms as GEMMs, twice onnxruntime's time.
///
/// The weights stay as they are: `[M, C, 1, 1]` is the dense step's row-major `[M, C]`.
/// Runs before `pack-weights`, which then leaves them alone.
struct PointConvsAsDense: LoweredPass {
  let name = "dense-point-convs"

  /// How `graphc compile --report` lists these convs.
  static let algorithm = "dense (1x1 over one pixel)"

  /// Whether a conv with this geometry multiplies each item's channel vector by a matrix.
  static func applies(to g: Conv2DGeometry) -> Bool {
    let w = g.window
    return g.groups == 1 && g.inHeight == 1 && g.inWidth == 1 && g.outHeight == 1 && g.outWidth == 1
      && w.kernelHeight == 1 && w.kernelWidth == 1 && w.isUnpadded
  }

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    for i in program.steps.indices {
      // A residual has no place in the dense step's epilogue.
      guard case .conv(let conv) = program.steps[i].kernel, conv.weightLayout == .oihw, !conv.residual,
        Self.applies(to: conv.geometry)
      else { continue }
      let g = conv.geometry
      program.steps[i].kernel = .dense(
        Dense(inFeatures: g.inChannels, outFeatures: g.outChannels, weights: conv.weights, bias: conv.bias, activation: conv.activation))
      context.report.convAlgorithms[Self.algorithm, default: 0] += 1
    }
  }
}
