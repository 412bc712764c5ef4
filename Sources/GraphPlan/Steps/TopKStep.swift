/// The `k` largest (or smallest) values of each row of input 0, viewed as `[rows, length]`, in
/// order, or their indices along the row as exact floats (``Kernel/topK(k:largest:indices:)``;
/// ONNX TopK over the axis moved last, one step per output). Ties keep the lower index first;
/// NaN counts as larger than every number, as numpy sorts it (ONNX's reference).
struct TopKStep: StepKind {
  var k: Int
  var largest: Bool
  var indices: Bool

  static let tag: UInt8 = 28
  static let name = "topk"

  func encode(_ w: inout ByteWriter) {
    w.int(k)
    w.bool(largest)
    w.bool(indices)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .topK(k: try r.int(), largest: try r.bool(), indices: try r.bool()) }

  func validate(_ check: StepCheck) throws {
    let inputs = check.step.inputs
    try check.expect(inputs.count == 1 && inputs[0].dims.count >= 2, "top-k needs one [rows, ...] input")
    let rows = inputs[0].dims[0], length = check.inCount / rows
    try check.expect(k >= 1 && k <= length, "k \(k) must be in 1...\(length), the row length")
    try check.expect(check.outCount == rows * k, "top-k's output must hold k values per row")
  }

  var summary: String { "top\(k)\(largest ? "" : "-smallest")\(indices ? " indices" : "")" }
}
