/// Element-wise work outside the fused kernels: broadcasting binary ops with
/// fast paths for the shapes networks use, and in-place activations.
enum ElementwiseKernels {
  /// `out = a op b` broadcast to `outDims` (validated by the plan).
  static func binary(
    _ op: BinaryOp, _ a: UnsafePointer<Float>, _ aDims: [Int], _ b: UnsafePointer<Float>, _ bDims: [Int],
    output: UnsafeMutablePointer<Float>, outDims: [Int]
  ) {
    let count = outDims.reduce(1, *)
    let aCount = aDims.reduce(1, *), bCount = bDims.reduce(1, *)
    if aCount == count && bCount == count {
      for i in 0..<count { output[i] = op.apply(a[i], b[i]) }
    } else if aCount == count && bCount == 1 {
      let y = b[0]
      for i in 0..<count { output[i] = op.apply(a[i], y) }
    } else if bCount == count && aCount == 1 {
      let x = a[0]
      for i in 0..<count { output[i] = op.apply(x, b[i]) }
    } else {
      _ = try? Reference.binary(op, a: a, aShape: aDims, b: b, bShape: bDims, output: output)
    }
  }

  static func activate(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int) {
    if activation == .none { return }
    for i in 0..<count { x[i] = activation.apply(x[i]) }
  }
}
