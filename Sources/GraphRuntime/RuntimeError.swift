/// An error raised by the runtime: bad input files, shapes that do not fit, and the like.
///
/// Runtime code reports problems with data it did not produce (files, user tensors)
/// through this type instead of trapping.
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A human-readable description of what went wrong.
  public var message: String

  /// Creates an error with the given message.
  public init(_ message: String) {
    self.message = message
  }

  /// The message, for printing.
  public var description: String { message }
}
