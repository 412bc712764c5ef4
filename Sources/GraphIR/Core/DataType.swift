/// Element types of tensors, numbered as ONNX's `TensorProto.DataType`.
public enum DataType: Int32, Sendable, CaseIterable, CustomStringConvertible {
  case float = 1
  case uint8 = 2
  case int8 = 3
  case uint16 = 4
  case int16 = 5
  case int32 = 6
  case int64 = 7
  case bool = 9
  case double = 11
  case uint32 = 12

  /// Bytes per element in ONNX `raw_data` (little-endian).
  public var byteSize: Int {
    switch self {
    case .uint8, .int8, .bool: return 1
    case .uint16, .int16: return 2
    case .float, .int32, .uint32: return 4
    case .int64, .double: return 8
    }
  }

  /// Whether values of this type are held as integers (`Tensor.Storage.integers`).
  public var isInteger: Bool {
    switch self {
    case .float, .double: return false
    default: return true
    }
  }

  /// The values an integer type holds (bool: 0 and 1); nil for floating-point types.
  public var integerRange: ClosedRange<Int64>? {
    switch self {
    case .float, .double: return nil
    case .bool: return 0...1
    case .uint8: return 0...Int64(UInt8.max)
    case .int8: return Int64(Int8.min)...Int64(Int8.max)
    case .uint16: return 0...Int64(UInt16.max)
    case .int16: return Int64(Int16.min)...Int64(Int16.max)
    case .int32: return Int64(Int32.min)...Int64(Int32.max)
    case .uint32: return 0...Int64(UInt32.max)
    case .int64: return Int64.min...Int64.max
    }
  }

  public var description: String {
    switch self {
    case .float: return "float32"
    case .uint8: return "uint8"
    case .int8: return "int8"
    case .uint16: return "uint16"
    case .int16: return "int16"
    case .int32: return "int32"
    case .int64: return "int64"
    case .bool: return "bool"
    case .double: return "float64"
    case .uint32: return "uint32"
    }
  }
}

extension DataType {
  /// ONNX's name for element type number `raw` (`TensorProto.DataType`), supported or not, with
  /// the number: `float16 (10)`. Messages use it so nobody has to look the number up. The names
  /// run to 26 (int2), the newest in the pinned onnx 1.22.
  public static func describe(raw: Int64) -> String {
    let names = [
      0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
      8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64",
      15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2",
      20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2",
    ]
    return names[Int(raw)].map { "\($0) (\(raw))" } ?? "number \(raw) (not an ONNX element type)"
  }

  /// `unsupported element type float16 (10); supported: float32, ...`.
  public static func unsupported(raw: Int64, what: String = "element type") -> String {
    "\(what) \(describe(raw: raw)) is not supported (supported: \(allCases.map(\.description).joined(separator: ", ")))"
  }
}
