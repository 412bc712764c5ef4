/// A max or average pool over three or more spatial axes (1-D and 2-D ones are ``Pooling``s).
public struct PoolingND: Equatable, Sendable {
  /// Max or average.
  public var kind: PoolKind
  /// Shapes and window for one batch item.
  public var geometry: PoolNDGeometry
  /// Average pooling: divide by the whole window (true) or only by the inputs it covers.
  public var countIncludePad: Bool

  /// Creates an N-D pooling step's parameters.
  public init(kind: PoolKind, geometry: PoolNDGeometry, countIncludePad: Bool) {
    self.kind = kind
    self.geometry = geometry
    self.countIncludePad = countIncludePad
  }
}

extension PoolingND: StepKind {
  static let tag: UInt8 = 21
  static let name = "pool-nd"

  func encode(_ w: inout ByteWriter) {
    w.poolKind(kind)
    w.ints(geometry.fileInts)
    w.bool(countIncludePad)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let kind = try r.poolKind()
    let geometry = try PoolNDGeometry.read(try r.ints(), context: r.context)
    return .poolND(PoolingND(kind: kind, geometry: geometry, countIncludePad: try r.bool()))
  }

  func validate(_ check: StepCheck) throws {
    let g = geometry
    try check.expectValid(g.validate)
    try check.expect(check.step.inputs.count == 1 && check.inCount == g.inputCountPerItem, "pool-nd input size mismatch")
    try check.expect(check.outCount == g.outputCountPerItem, "pool-nd output size mismatch")
    try check.expectChannelSlice(plane: g.outVolume)
  }

  var summary: String {
    let g = geometry, padded = (g.window.padsBegin + g.window.padsEnd).contains { $0 != 0 }
    var s = (kind == .max ? "maxpool " : "avgpool ") + g.window.summary
    if kind == .average && !countIncludePad && padded { s += " exclude-pad" }
    return s + " ×\(g.channels)"
  }
}
