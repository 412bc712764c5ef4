/// Picks slices of input 0 along a per-item axis (``Kernel/gather(axis:indices:)``): ONNX
/// Gather of run-time data with constant indices. Per item, for each index of the axes before
/// `axis`, the output takes the input's slices `indices[0], indices[1], ...` (each the run of
/// the axes after `axis`) in order.
struct GatherStep: StepKind {
  var axis: Int
  /// Non-negative positions along the axis, in output order (the indices' shape flattened).
  var indices: [Int]

  static let tag: UInt8 = 18
  static let name = "gather"

  func encode(_ w: inout ByteWriter) {
    w.int(axis)
    w.ints(indices)
  }

  /// The indices are as many as the model's (a vocabulary lookup takes thousands): read as a
  /// table as long as an axis, not a list of at most 64.
  static func decode(_ r: inout ByteReader) throws -> Kernel { .gather(axis: try r.int(), indices: try r.positions()) }

  func validate(_ check: StepCheck) throws {
    let d = check.step.inputs.first?.dims ?? []
    try check.expect(check.step.inputs.count == 1 && axis >= 0 && axis < d.count, "gather axis \(axis) outside the input's \(d.count) axes")
    try check.expect(!indices.isEmpty && indices.allSatisfy { $0 >= 0 && $0 < d[axis] }, "gather indices leave the \(d[axis]) positions of axis \(axis)")
    let outer = d[..<axis].reduce(1, *), inner = d[(axis + 1)...].reduce(1, *)
    let (count, overflow) = (outer * inner).multipliedReportingOverflow(by: indices.count)
    try check.expect(!overflow && count == check.outCount, "gather output \(check.step.output.dims) does not hold \(indices.count) slices of \(d)")
  }

  var summary: String { "gather axis \(axis) \(indices.count) indices" }
}
