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
