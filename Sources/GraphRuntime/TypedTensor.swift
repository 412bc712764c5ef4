/// A graph output of the element type the plan records: float32, bool (one byte per element,
/// 0 or 1), int64 (a constant or computed indices) or an int32 constant. `Session.runTyped(_:)` returns these.
///
/// Read the values with the accessor for the output's type; asking for another type throws
/// (a bool output is not handed out as floats, nor an int64 one as float32).
public struct TypedTensor: Equatable, Sendable {
  /// What the bytes hold.
  public let elementType: ElementType
  /// Dimensions, batch first for a batched output.
  public let shape: [Int]
  /// The values in C order, little-endian, `elementType.byteSize` bytes each.
  public private(set) var bytes: [UInt8]

  /// A tensor of `shape` with every byte zero (a session fills it).
  init(zeros type: ElementType, shape: [Int]) {
    elementType = type
    self.shape = shape
    bytes = [UInt8](repeating: 0, count: shape.reduce(1, *) * type.byteSize)
  }

  /// A tensor of `type` from its packed little-endian bytes (`shape`'s element count times the
  /// type's byte size; a bool is one byte, 0 or 1).
  package init(_ type: ElementType, shape: [Int], bytes: [UInt8]) {
    precondition(bytes.count == shape.reduce(1, *) * type.byteSize, "\(bytes.count) bytes for \(shape) \(type)")
    elementType = type
    self.shape = shape
    self.bytes = bytes
  }

  /// A float32 tensor as a typed one (what `run(_:)` returns, as `runTyped(_:)` would).
  public init(_ tensor: FloatTensor) {
    elementType = .float32
    shape = tensor.shape
    bytes = tensor.values.withUnsafeBytes { Array($0) }  // little-endian hosts only (x86-64, arm64)
  }

  /// Number of elements.
  public var count: Int { bytes.count / elementType.byteSize }

  /// The values of a float32 output.
  /// - Throws: ``RuntimeError/input(_:)`` for an output of another type.
  public func floats() throws(RuntimeError) -> FloatTensor {
    try expect(.float32)
    let values = bytes.withUnsafeBytes { raw in (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    return FloatTensor(computed: shape, values: values)
  }

  /// The values of a bool output.
  /// - Throws: ``RuntimeError/input(_:)`` for an output of another type.
  public func bools() throws(RuntimeError) -> [Bool] {
    try expect(.bool)
    return bytes.map { $0 != 0 }
  }

  /// The values of an int64 output.
  /// - Throws: ``RuntimeError/input(_:)`` for an output of another type.
  public func int64s() throws(RuntimeError) -> [Int64] {
    try expect(.int64)
    return bytes.withUnsafeBytes { raw in (0..<count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) } }
  }

  /// The values of an int32 output.
  /// - Throws: ``RuntimeError/input(_:)`` for an output of another type.
  public func int32s() throws(RuntimeError) -> [Int32] {
    try expect(.int32)
    return bytes.withUnsafeBytes { raw in (0..<count).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) } }
  }

  private func expect(_ type: ElementType) throws(RuntimeError) {
    guard elementType == type else {
      throw .input("the tensor holds \(elementType) values, not \(type): read it with \(Self.accessor(elementType))")
    }
  }

  /// The accessor that reads `type`.
  static func accessor(_ type: ElementType) -> String {
    switch type {
    case .float32: return "floats()"
    case .bool: return "bools()"
    case .int64: return "int64s()"
    case .int32: return "int32s()"
    }
  }

  /// Lets a session overwrite the bytes in place (same type and shape): runs into kept tensors allocate nothing.
  mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeMutableBytes { try body($0) }
  }
}
