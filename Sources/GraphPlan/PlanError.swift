/// An error from reading, validating or describing a plan, or from building a tensor.
///
/// Switch on the case to tell a damaged file from one written by a newer compiler;
/// ``message`` says what was found, naming the file (the `source`) when there is one.
/// The runtime maps it to its own error type case by case.
public enum PlanError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Bytes that are not a plan, are damaged, or describe parts that disagree with each other.
  case format(String)
  /// A plan of a format version this library does not read.
  case unsupported(String)
  /// Values that do not fill the shape they are given with.
  case shape(String)

  /// What went wrong, in words.
  public var message: String {
    switch self {
    case .format(let m), .unsupported(let m), .shape(let m): return m
    }
  }

  /// The message, for printing.
  public var description: String { message }

  /// The same error with `prefix: ` put before its message (e.g. the file or step it concerns).
  public func prefixed(_ prefix: String) -> PlanError {
    switch self {
    case .format(let m): return .format("\(prefix): \(m)")
    case .unsupported(let m): return .unsupported("\(prefix): \(m)")
    case .shape(let m): return .shape("\(prefix): \(m)")
    }
  }
}
