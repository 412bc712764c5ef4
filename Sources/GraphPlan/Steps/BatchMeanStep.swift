/// The mean over the batch items of input 0 (``Kernel/batchMean``): ONNX ReduceMean over the
/// batch axis. The input is batched; the output has no batch and holds one item's floats (its
/// fixed items laid end to end), written once per run.
struct BatchMeanStep: StepKind {
  static let tag: UInt8 = 19
  static let name = "batch-mean"

  func encode(_ w: inout ByteWriter) {}

  static func decode(_ r: inout ByteReader) throws -> Kernel { .batchMean }

  func validate(_ check: StepCheck) throws {
    let step = check.step, out = step.output
    try check.expect(step.inputs.count == 1 && step.inputs[0].isBatched && !out.isBatched, "a batch mean reads a batched input into a value without the batch")
    let (total, overflow) = check.outCount.multipliedReportingOverflow(by: out.items)
    try check.expect(
      !overflow && total == check.inCount && out.inner == 0 && (out.items == 1 || out.itemStride == check.outCount),
      "batch mean output (\(out.items) items of \(out.dims)) is not one dense copy of an input item \(step.inputs[0].dims)")
  }

  var summary: String { "batch-mean" }
}
