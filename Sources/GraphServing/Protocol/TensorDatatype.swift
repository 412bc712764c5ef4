/// The protocol's tensor element types that graphserve accepts as input. Every plan
/// computes in float32; other numeric types are converted on the way in (as a client
/// that sends uint8 pixels or int64 ids expects).
public enum TensorDatatype: String, CaseIterable, Sendable {
  case bool = "BOOL"
  case uint8 = "UINT8", uint16 = "UINT16", uint32 = "UINT32", uint64 = "UINT64"
  case int8 = "INT8", int16 = "INT16", int32 = "INT32", int64 = "INT64"
  case fp16 = "FP16", fp32 = "FP32", fp64 = "FP64"

  /// Bytes per element in the binary tensor extension (little-endian, packed).
  public var byteSize: Int {
    switch self {
    case .bool, .uint8, .int8: 1
    case .uint16, .int16, .fp16: 2
    case .uint32, .int32, .fp32: 4
    case .uint64, .int64, .fp64: 8
    }
  }

  /// Reads `count` little-endian elements from `bytes` as floats.
  /// - Precondition: `bytes.count == count * byteSize`.
  func floats(fromBinary bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
    precondition(bytes.count == count * byteSize)
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      func read<T: FixedWidthInteger>(_: T.Type, _ convert: (T) -> Float) {
        for i in 0..<count { out[i] = convert(T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * byteSize, as: T.self))) }
      }
      switch self {
      case .bool, .uint8: read(UInt8.self) { Float($0) }
      case .int8: read(Int8.self) { Float($0) }
      case .uint16: read(UInt16.self) { Float($0) }
      case .int16: read(Int16.self) { Float($0) }
      case .uint32: read(UInt32.self) { Float($0) }
      case .int32: read(Int32.self) { Float($0) }
      case .uint64: read(UInt64.self) { Float($0) }
      case .int64: read(Int64.self) { Float($0) }
      case .fp16: read(UInt16.self) { Float(float16Bits: $0) }
      case .fp32: read(UInt32.self) { Float(bitPattern: $0) }
      case .fp64: read(UInt64.self) { Float(Double(bitPattern: $0)) }
      }
      initialized = count
    }
  }

  /// Whether a JSON element is a value of this type (integers for the integer types,
  /// booleans for BOOL, any number for the float types), and that value as a float.
  func float(fromJSON value: JSONValue) -> Float? {
    switch (self, value) {
    case (.bool, .bool(let b)): return b ? 1 : 0
    case (.fp16, .number(let x)), (.fp32, .number(let x)), (.fp64, .number(let x)): return Float(x)
    case (_, .number(let x)) where self != .bool:
      guard x == x.rounded(), x >= minimum, x <= maximum else { return nil }
      return Float(x)
    default: return nil
    }
  }

  private var minimum: Double {
    switch self {
    case .int8: -128
    case .int16: -32768
    case .int32: -2_147_483_648
    case .int64: -9.223372036854775808e18
    default: 0
    }
  }

  private var maximum: Double {
    switch self {
    case .uint8: 255
    case .int8: 127
    case .uint16: 65535
    case .int16: 32767
    case .uint32: 4_294_967_295
    case .int32: 2_147_483_647
    case .uint64: 1.8446744073709551615e19
    case .int64: 9.223372036854775807e18
    default: 1
    }
  }
}

extension Float {
  /// An IEEE binary16 bit pattern widened exactly (Float16 itself is missing on some platforms).
  init(float16Bits h: UInt16) {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
      // Zero or subnormal: mantissa × 2^-24, exact in float32.
      let magnitude = Float(mantissa) * 0x1p-24
      self = sign != 0 ? -magnitude : magnitude
    case 31:
      self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
      self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
  }
}
