/// The element type of a graph input or output as it leaves (or enters) the runtime.
///
/// The arena holds only float32: a bool computed at run time is float 0/1 there and leaves as
/// one byte per element; an int64 computed at run time is an index (ArgMax, TopK) held there as
/// an exact float (below 2^24) and leaves as int64. Other integer outputs are constants the plan
/// stores with their binding (``TensorBinding/constant``). The raw values are the plan file's tags.
public enum ElementType: UInt8, CaseIterable, Equatable, Sendable, CustomStringConvertible {
  case float32 = 0
  case bool = 1
  case int64 = 2
  case int32 = 3

  /// Bytes per element where outputs leave the runtime (a bool is one byte, 0 or 1).
  public var byteSize: Int {
    switch self {
    case .bool: return 1
    case .float32, .int32: return 4
    case .int64: return 8
    }
  }

  /// Whether values of this type are integers: constants the plan holds, or int64 indices.
  public var isInteger: Bool { self == .int64 || self == .int32 }

  /// The ONNX name (`float32`, `bool`, `int64`, `int32`).
  public var description: String {
    switch self {
    case .float32: return "float32"
    case .bool: return "bool"
    case .int64: return "int64"
    case .int32: return "int32"
    }
  }
}
