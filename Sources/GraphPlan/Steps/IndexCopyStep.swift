/// Output element `(i0, i1, ...)` is input element `(sources[0][i0], sources[1][i1], ...)`, or
/// `fill` where any of them is -1 (``Kernel/indexCopy(sources:fill:)``). An input of lower rank
/// reads as having leading axes of size 1. ONNX Pad (every mode), Expand, Tile and nearest
/// Resize lower to it: each is one table of source positions per output axis.
struct IndexCopyStep: StepKind {
  /// Per output axis, the input position each output position reads (-1: the fill value).
  var sources: [[Int]]
  var fill: Float

  static let tag: UInt8 = 26
  static let name = "index-copy"

  func encode(_ w: inout ByteWriter) {
    w.int(sources.count)
    for s in sources { w.ints(s) }
    w.float(fill)
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let rank = try r.int(limit: 64)
    var sources: [[Int]] = []
    for _ in 0..<rank { sources.append(try r.positions()) }
    return .indexCopy(sources: sources, fill: try r.float())
  }

  func validate(_ check: StepCheck) throws {
    let inDims = check.step.inputs.first?.dims ?? [], outDims = check.step.output.dims
    try check.expect(
      check.step.inputs.count == 1 && sources.count == outDims.count && inDims.count <= outDims.count,
      "index copy of \(inDims) into \(outDims) with \(sources.count) axis tables")
    let padded = Array(repeating: 1, count: outDims.count - inDims.count) + inDims
    for d in outDims.indices {
      try check.expect(sources[d].count == outDims[d], "index copy axis \(d) has \(sources[d].count) positions for \(outDims[d])")
      try check.expect(
        sources[d].allSatisfy { $0 >= -1 && $0 < padded[d] },
        "index copy axis \(d) reads outside the input's \(padded[d]) positions")
    }
  }

  var summary: String {
    let filled = sources.contains { $0.contains(-1) } ? " fill \(fill)" : ""
    return "index-copy [\(sources.map { String($0.count) }.joined(separator: "x"))]\(filled)"
  }
}
