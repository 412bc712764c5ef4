/// Global max or average pooling: `[C, ...]` to one value per channel (``Kernel/globalPool(_:)``).
struct GlobalPoolStep: StepKind {
  var kind: PoolKind

  static let tag: UInt8 = 3
  static let name = "global-pool"

  func encode(_ w: inout ByteWriter) { w.poolKind(kind) }

  static func decode(_ r: inout ByteReader) throws -> Kernel { .globalPool(try r.poolKind()) }

  func validate(_ check: StepCheck) throws {
    let inputs = check.step.inputs
    try check.expect(inputs.count == 1 && inputs[0].dims.count >= 2, "global pool needs a [C, ...] input")
    try check.expect(check.outCount == inputs[0].dims[0], "global pool output must hold one value per channel")
  }

  var summary: String { kind == .max ? "global maxpool" : "global avgpool" }
}
