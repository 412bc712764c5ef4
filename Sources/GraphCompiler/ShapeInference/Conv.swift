import GraphIR

/// Conv: `X [N, C, d1..dk]`, `W [M, C/group, k1..kk]`, optional `B [M]` give `[N, M, o1..ok]`.
enum ConvRule: ShapeRule {
  static let opTypes = ["Conv"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    let w = try n.input(1, "weight")
    guard x.shape.rank >= 3 else {
      throw n.error("input must have rank 3 or more (batch, channels, spatial), has shape \(x.shape)")
    }
    guard w.shape.rank == x.shape.rank else {
      throw n.error("weight \(w.shape) must have the input's rank \(x.shape.rank) (input \(x.shape))")
    }
    let group = try n.node.int("group", default: 1)
    guard group >= 1 else { throw n.error("group \(group) must be positive") }

    // Weight dims are constants in practice; a symbolic weight dim cannot be checked.
    let wShape = w.shape
    if case .fixed(let perGroup) = wShape[1], case .fixed(let channels) = x.shape[1] {
      let (expected, overflow) = perGroup.multipliedReportingOverflow(by: group)
      guard !overflow, expected == channels else {
        let groups = group == 1 ? "" : " (\(perGroup) per group x \(group) groups)"
        throw n.error("weight expects \(overflow ? perGroup : expected) input channels\(groups) (weight \(wShape)), input has \(channels) (\(x.shape))")
      }
    }
    if case .fixed(let m) = wShape[0], m % group != 0 {
      throw n.error("weight has \(m) output channels (weight \(wShape)), not divisible by group \(group)")
    }
    if let b = n.optionalInput(2) {
      guard b.shape.rank == 1, n.unify(b.shape[0], wShape[0]) != nil else {
        throw n.error("bias shape \(b.shape) must be [\(wShape[0])], one value per output channel (weight \(wShape))")
      }
    }

    let spatial = x.shape.rank - 2
    guard let kernelFromWeight = Shape(Array(wShape.dims[2...])).fixedDims else {
      throw n.error("weight spatial dims must be known, weight is \(wShape)")
    }
    if let attr = try n.node.ints("kernel_shape"), attr != kernelFromWeight {
      throw n.error("kernel_shape \(attr) does not match the weight's spatial dims \(kernelFromWeight) (weight \(wShape))")
    }
    guard kernelFromWeight.count == spatial else { throw n.error("weight rank does not match input rank") }
    let window = try SlidingWindow(n, kernel: kernelFromWeight)
    let out = try window.outputDims(Array(x.shape.dims[2...]), n, inputShape: x.shape)
    return [ValueState(x.elementType, Shape([x.shape[0], wShape[0]] + out))]
  }
}
