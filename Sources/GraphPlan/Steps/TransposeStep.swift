/// A permutation of the per-item axes (``Kernel/transpose(perm:)``).
struct TransposeStep: StepKind {
  var perm: [Int]

  static let tag: UInt8 = 10
  static let name = "transpose"

  func encode(_ w: inout ByteWriter) { w.ints(perm) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .transpose(perm: try r.ints()) }

  func validate(_ check: StepCheck) throws {
    let dims = check.step.inputs.first?.dims ?? []
    try check.expect(
      check.step.inputs.count == 1 && perm.count == dims.count && Set(perm) == Set(0..<dims.count),
      "invalid permutation \(perm)")
    try check.expect(perm.map { dims[$0] } == check.step.output.dims, "transpose output dims mismatch")
  }

  var summary: String { "transpose [\(perm.map(String.init).joined(separator: ","))]" }
}
