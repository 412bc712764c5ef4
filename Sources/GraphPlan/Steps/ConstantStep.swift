/// Copies a range of the weights into the output view (``Kernel/constant(_:)``): a graph output
/// that folds to a constant. Item `n` of an output with fixed items takes floats `n * count ..<
/// (n + 1) * count` of the range; a batched output takes the same `count` floats in every item.
struct ConstantStep: StepKind {
  var values: WeightRef

  static let tag: UInt8 = 15
  static let name = "constant"

  func encode(_ w: inout ByteWriter) { w.weight(values) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .constant(try r.weight()) }

  func validate(_ check: StepCheck) throws {
    try check.expect(check.step.inputs.isEmpty, "a constant step has no inputs")
    // Each item of a fixed-shape output has its own values; a batched one repeats one item's.
    let (count, overflow) = check.outCount.multipliedReportingOverflow(by: max(check.step.output.items, 1))
    try check.expect(!overflow, "constant of \(check.step.output.items) items overflows")
    try check.weights(values, count: count, "constant")
  }

  var summary: String { "constant \(values.count)" }
}
