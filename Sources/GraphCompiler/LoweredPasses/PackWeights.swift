import GraphPlan

/// Lays every step's weights out the way its kernel reads them. Conv weights that go
/// through the GEMM are packed into its register-tile panels (``GemmPanels``) here, once,
/// instead of on every inference; the plan stays mmap-and-run. The weights are rebuilt
/// in step order, so nothing the steps no longer use stays in the plan.
struct PackWeights: LoweredPass {
  let name = "pack-weights"

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    let old = program.weights.data
    var packed = WeightPacker()
    packed.reserve(old.count + old.count / 8)
    func copy(_ ref: WeightRef) -> WeightRef { packed.add(old[ref.offset..<(ref.offset + ref.count)]) }
    /// `[M, C/groups, kernel...]` weights as GEMM panels, or as they are when `packs` is false.
    func gemmPanels(_ ref: WeightRef, packs: Bool, _ pack: (UnsafeBufferPointer<Float>) -> [Float]) -> (WeightRef, ConvWeightLayout)? {
      guard packs else { return nil }
      let range = ref.offset..<(ref.offset + ref.count)
      return (packed.add(old.withUnsafeBufferPointer { pack(UnsafeBufferPointer(rebasing: $0[range])) }), .gemmPanels)
    }

    for i in program.steps.indices {
      switch program.steps[i].kernel {
      case .conv(var conv):
        let packs = conv.weightLayout == .oihw && !conv.geometry.runsDepthwise
        (conv.weights, conv.weightLayout) =
          gemmPanels(conv.weights, packs: packs) { GemmPanels.packConv($0, conv.geometry) } ?? (copy(conv.weights), conv.weightLayout)
        conv.bias = conv.bias.map(copy)
        program.steps[i].kernel = .conv(conv)
      case .convND(var conv):
        (conv.weights, conv.weightLayout) =
          gemmPanels(conv.weights, packs: conv.weightLayout == .oihw) { GemmPanels.packConv($0, conv.geometry) }
          ?? (copy(conv.weights), conv.weightLayout)
        conv.bias = conv.bias.map(copy)
        program.steps[i].kernel = .convND(conv)
      case .convTranspose(var conv):
        (conv.weights, conv.weightLayout) =
          gemmPanels(conv.weights, packs: conv.weightLayout == .oihw) { conv.geometry.packedWeights($0) }
          ?? (copy(conv.weights), conv.weightLayout)
        conv.bias = conv.bias.map(copy)
        program.steps[i].kernel = .convTranspose(conv)
      case .dense(var dense):
        dense.weights = copy(dense.weights)
        dense.bias = dense.bias.map(copy)
        program.steps[i].kernel = .dense(dense)
      case .binary(var binary):
        binary.constant = binary.constant.map(copy)
        program.steps[i].kernel = .binary(binary)
      case .channelAffine(let scale, let shift, let activation):
        program.steps[i].kernel = .channelAffine(scale: copy(scale), shift: copy(shift), activation: activation)
      case .layerNorm(let axis, let epsilon, let scale, let bias):
        program.steps[i].kernel = .layerNorm(axis: axis, epsilon: epsilon, scale: copy(scale), bias: bias.map(copy))
      case .channelNorm(let epsilon, let scale, let bias):
        program.steps[i].kernel = .channelNorm(epsilon: epsilon, scale: copy(scale), bias: bias.map(copy))
      case .constant(let values):
        program.steps[i].kernel = .constant(copy(values))
      case .select(var select):
        select.constants = select.constants.map { $0.map(copy) }
        program.steps[i].kernel = .select(select)
      case .matmul(var matmul):
        matmul.constant = matmul.constant.map(copy)
        program.steps[i].kernel = .matmul(matmul)
      case .pool, .poolND, .globalPool, .activation, .lrn, .softmax, .logSoftmax, .reduce, .transpose, .copy, .slice, .concat, .gather, .batchMean, .indexCopy, .resize, .topK, .cumSum:
        break  // no weights
      }
    }
    program.weights = packed
  }
}
