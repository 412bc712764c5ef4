import GraphPlan

/// Bounds how deeply subgraphs nest before libprotobuf-c unpacks a model: its unpacking
/// recurses without a limit, so a few kilobytes nested thousands of levels deep would
/// overflow the stack. The only recursive path in the schema is
/// `ModelProto.graph → GraphProto.node → NodeProto.attribute → AttributeProto.g / .graphs → GraphProto`;
/// this scanner walks exactly that path on the wire format, with a counter.
enum NestingCheck {
  /// Throws when subgraphs nest deeper than `maxDepth` (``Limits/maxNestingDepth``, 64 by
  /// default: the If/Loop bodies real models use are a handful deep). Malformed bytes are left
  /// for the protobuf parser to report.
  static func check(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = Limits.machine.maxNestingDepth) throws {
    // ModelProto: field 7 is the graph.
    try scan(bytes, follow: [7: .graph], depth: 0, maxDepth: maxDepth)
  }

  private enum Kind { case graph, node, attribute }

  /// Sub-message fields to follow, per message kind.
  private static func fields(_ kind: Kind) -> [UInt64: Kind] {
    switch kind {
    case .graph: return [1: .node]
    case .node: return [5: .attribute]
    case .attribute: return [6: .graph, 11: .graph]
    }
  }

  private static func scan(_ bytes: UnsafeRawBufferPointer, follow: [UInt64: Kind], depth: Int, maxDepth: Int) throws {
    var i = 0
    func varint() -> UInt64? {
      var value: UInt64 = 0, shift: UInt64 = 0
      while i < bytes.count, shift < 64 {
        let b = bytes[i]
        i += 1
        value |= UInt64(b & 0x7f) << shift
        if b & 0x80 == 0 { return value }
        shift += 7
      }
      return nil
    }
    while i < bytes.count {
      guard let key = varint() else { return }
      switch key & 7 {
      case 0: guard varint() != nil else { return }
      case 1: i += 8
      case 5: i += 4
      case 2:
        guard let length = varint(), length <= UInt64(bytes.count - min(i, bytes.count)) else { return }
        let body = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + Int(length))])
        i += Int(length)
        guard let kind = follow[key >> 3] else { continue }
        let nested = depth + (kind == .graph ? 1 : 0)
        guard nested <= maxDepth else {
          throw GraphError("", "subgraphs nest more than \(maxDepth) levels deep (the max nesting depth limit); refusing to parse the model")
        }
        try scan(body, follow: fields(kind), depth: nested, maxDepth: maxDepth)
      default:
        return  // groups or garbage: the parser will say what is wrong
      }
    }
  }
}
