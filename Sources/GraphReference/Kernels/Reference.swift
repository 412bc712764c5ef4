import GraphPlan

/// Straightforward kernels written to be obviously correct; the oracle that the runtime's
/// fast kernels are tested against, and what the compiler evaluates constants with.
/// Single-threaded, no blocking, no SIMD, and no arithmetic shared with the runtime.
///
/// Tensors are NCHW float32, contiguous, passed as raw pointers sized by the parameters.
public enum Reference {}

/// Operands a reference kernel cannot compute with (shapes that do not broadcast, a bad
/// axis or permutation, ...).
public struct ReferenceError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What was wrong with the operands.
  public var message: String

  /// Creates an error with the given message.
  public init(_ message: String) {
    self.message = message
  }

  /// The message, for printing.
  public var description: String { message }
}
