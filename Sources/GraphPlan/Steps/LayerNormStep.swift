/// Layer normalization over the trailing per-item axes from `axis`
/// (``Kernel/layerNorm(axis:epsilon:scale:bias:)``): each of the rows those axes span is
/// normalized to mean 0 and variance 1, then scaled and shifted per position.
struct LayerNormStep: StepKind {
  var axis: Int
  var epsilon: Float
  var scale: WeightRef
  var bias: WeightRef?

  static let tag: UInt8 = 13
  static let name = "layer-norm"

  func encode(_ w: inout ByteWriter) {
    w.int(axis)
    w.float(epsilon)
    w.weight(scale)
    w.optionalWeight(bias)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    .layerNorm(axis: try r.int(), epsilon: try r.float(), scale: try r.weight(), bias: try r.optionalWeight())
  }

  /// Floats per normalized row for per-item `dims`.
  static func rowLength(_ dims: [Int], axis: Int) -> Int { dims[axis...].reduce(1, *) }

  func validate(_ check: StepCheck) throws {
    let dims = check.step.output.dims
    try check.expect(
      check.step.inputs.count == 1 && check.inCount == check.outCount && axis < dims.count && epsilon >= 0,
      "layer norm axis or sizes invalid")
    let row = Self.rowLength(dims, axis: axis)
    try check.weights(scale, count: row, "scale")
    if let bias { try check.weights(bias, count: row, "bias") }
  }

  var summary: String {
    "layer-norm axis \(axis) ε \(PlanDescription.number(epsilon))" + (bias == nil ? " no-bias" : "")
  }
}
