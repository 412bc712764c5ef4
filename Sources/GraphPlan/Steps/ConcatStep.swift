/// Joins the inputs along a per-item axis (``Kernel/concat(axis:)``): ONNX Concat on an axis
/// other than the channels (which the in-place channel slices serve). Per item, for each index
/// of the axes before `axis`, each input's run of the axes from `axis` on follows the previous
/// input's.
struct ConcatStep: StepKind {
  var axis: Int

  static let tag: UInt8 = 17
  static let name = "concat"

  func encode(_ w: inout ByteWriter) { w.int(axis) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .concat(axis: try r.int()) }

  func validate(_ check: StepCheck) throws {
    let out = check.step.output.dims
    try check.expect(!check.step.inputs.isEmpty && axis >= 0 && axis < out.count, "concat axis \(axis) outside the output's \(out.count) axes")
    var total = 0
    for input in check.step.inputs {
      let d = input.dims
      try check.expect(
        d.count == out.count && (0..<out.count).allSatisfy { $0 == axis || d[$0] == out[$0] },
        "concat input \(d) does not fit the output \(out) along axis \(axis)")
      total += d[axis]
    }
    try check.expect(total == out[axis], "concat inputs add up to \(total) along axis \(axis), the output has \(out[axis])")
  }

  var summary: String { "concat axis \(axis)" }
}
