/// A node attribute, one case per ONNX attribute kind the supported ops use.
public enum Attribute: Equatable, Sendable, CustomStringConvertible {
  case float(Float)
  case int(Int)
  case string(String)
  case tensor(Tensor)
  case floats([Float])
  case ints([Int])
  case strings([String])

  /// The ONNX name of this kind, used in error messages.
  public var kindName: String {
    switch self {
    case .float: return "FLOAT"
    case .int: return "INT"
    case .string: return "STRING"
    case .tensor: return "TENSOR"
    case .floats: return "FLOATS"
    case .ints: return "INTS"
    case .strings: return "STRINGS"
    }
  }

  public var description: String {
    switch self {
    case .float(let v): return "\(v)"
    case .int(let v): return "\(v)"
    case .string(let v): return "\"\(v)\""
    case .tensor(let t): return "tensor<\(t.dataType) \(t.shape)>"
    case .floats(let v): return "[" + v.map { "\($0)" }.joined(separator: ", ") + "]"
    case .ints(let v): return "[" + v.map { "\($0)" }.joined(separator: ", ") + "]"
    case .strings(let v): return "[" + v.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }
  }
}
