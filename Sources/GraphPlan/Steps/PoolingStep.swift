/// A max or average pooling step.
public struct Pooling: Equatable, Sendable {
  /// Max or average.
  public var kind: PoolKind
  /// Shapes and window for one batch item.
  public var geometry: Pool2DGeometry
  /// Average pooling: divide by the whole window (true) or only by the inputs it covers.
  public var countIncludePad: Bool

  /// Creates a pooling step's parameters.
  public init(kind: PoolKind, geometry: Pool2DGeometry, countIncludePad: Bool) {
    self.kind = kind
    self.geometry = geometry
    self.countIncludePad = countIncludePad
  }
}

extension Pooling: StepKind {
  static let tag: UInt8 = 2
  static let name = "pool"

  func encode(_ w: inout ByteWriter) {
    w.poolKind(kind)
    w.geometry(geometry, Pool2DGeometry.fileFields)
    w.bool(countIncludePad)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let kind = try r.poolKind()
    let (geometry, _) = try r.geometry(Pool2DGeometry.blank, Pool2DGeometry.fileFields, kind: "pool")
    return .pool(Pooling(kind: kind, geometry: geometry, countIncludePad: try r.bool()))
  }

  func validate(_ check: StepCheck) throws {
    let g = geometry
    try check.expectValid(g.validate)
    try check.expect(check.step.inputs.count == 1 && check.inCount == g.inputCountPerItem, "pool input size mismatch")
    try check.expect(check.outCount == g.outputCountPerItem, "pool output size mismatch")
    try check.expectChannelSlice(plane: g.outHeight * g.outWidth)
    // Every window must start inside the input or its leading padding.
    try check.expect(
      (g.outHeight - 1) * g.strideHeight < g.inHeight + g.padTop && (g.outWidth - 1) * g.strideWidth < g.inWidth + g.padLeft,
      "pool windows start beyond the input")
  }

  var summary: String {
    let g = geometry
    var s = (kind == .max ? "maxpool " : "avgpool ") + PlanDescription.window(g.window)
    if kind == .average && !countIncludePad && !g.window.isUnpadded { s += " exclude-pad" }
    return s + " ×\(g.channels)"
  }
}
