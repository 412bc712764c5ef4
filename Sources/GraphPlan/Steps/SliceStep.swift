/// A strided window of input 0 (``Kernel/slice(starts:steps:)``): output element `i` along
/// per-item axis `d` is input element `starts[d] + i * steps[d]`. ONNX Slice and each output of
/// Split lower to it.
struct SliceStep: StepKind {
  var starts: [Int]
  var steps: [Int]

  static let tag: UInt8 = 12
  static let name = "slice"

  func encode(_ w: inout ByteWriter) {
    w.ints(starts)
    w.ints(steps)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .slice(starts: try r.ints(), steps: try r.signedInts()) }

  func validate(_ check: StepCheck) throws {
    let inDims = check.step.inputs.first?.dims ?? [], outDims = check.step.output.dims
    try check.expect(
      check.step.inputs.count == 1 && starts.count == inDims.count && steps.count == inDims.count && outDims.count == inDims.count,
      "slice ranks mismatch")
    for d in inDims.indices where outDims[d] > 0 {
      // First and last element read along the axis must lie inside it (steps may be negative).
      let span = (outDims[d] - 1).multipliedReportingOverflow(by: steps[d])
      let last = span.overflow ? nil : starts[d].addingReportingOverflow(span.partialValue)
      try check.expect(
        steps[d] != 0 && (0..<inDims[d]).contains(starts[d]) && last.map { !$0.overflow && (0..<inDims[d]).contains($0.partialValue) } == true,
        "slice of axis \(d) (start \(starts[d]), step \(steps[d]), \(outDims[d]) elements) leaves its \(inDims[d]) elements")
    }
  }

  var summary: String {
    let parts = zip(starts, steps).map { start, step in step == 1 ? "\(start):" : "\(start)::\(step)" }
    return "slice [\(parts.joined(separator: ","))]"
  }
}
