import GraphRuntime

/// One output's values for one request, in the model's own element type: FP32, BOOL (one
/// byte per element, 0 or 1), INT64 or INT32, packed little-endian as the binary tensor
/// extension sends them. A bool mask or an ArgMax index leaves the server as such, not as floats.
public struct OutputValues: Sendable, Equatable {
  public let datatype: TensorDatatype
  public let bytes: [UInt8]

  public init(datatype: TensorDatatype, bytes: [UInt8]) {
    precondition(bytes.count % datatype.byteSize == 0)
    self.datatype = datatype
    self.bytes = bytes
  }

  public init(floats: [Float]) {
    self.init(datatype: .fp32, bytes: floats.withUnsafeBytes { Array($0) })  // little-endian hosts only (x86-64, arm64)
  }

  /// A session's output as it left the runtime.
  public init(_ tensor: TypedTensor) {
    self.init(datatype: Self.datatype(of: tensor.elementType), bytes: tensor.bytes)
  }

  /// Number of elements.
  public var count: Int { bytes.count / datatype.byteSize }

  /// The protocol's type of a plan's element type.
  static func datatype(of type: ElementType) -> TensorDatatype {
    switch type {
    case .float32: .fp32
    case .bool: .bool
    case .int64: .int64
    case .int32: .int32
    }
  }

  /// Elements `range` (of the whole tensor's elements), as a request's share of a batch.
  func elements(_ range: Range<Int>) -> OutputValues {
    let size = datatype.byteSize
    return OutputValues(datatype: datatype, bytes: Array(bytes[range.lowerBound * size..<range.upperBound * size]))
  }

  /// The values as floats, for the classification extension (bools as 0 and 1; integers
  /// rounded to float as any score would be).
  public func floats() -> [Float] {
    bytes.withUnsafeBytes { datatype.floats(fromBinary: $0, count: count) }
  }

  /// The values as a JSON list of the datatype's kind: numbers, `true`/`false`, or integers.
  func writeJSON(_ json: inout JSONWriter) {
    bytes.withUnsafeBytes { raw in
      let indices = 0..<count
      switch datatype {
      case .bool: json.list(indices) { $0.raw(raw[$1] != 0 ? "true" : "false") }
      case .int64: json.list(indices) { $0.raw(String(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $1 * 8, as: Int64.self)))) }
      case .int32: json.list(indices) { $0.raw(String(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $1 * 4, as: Int32.self)))) }
      default: json.list(floats()) { $0.float($1) }
      }
    }
  }
}
