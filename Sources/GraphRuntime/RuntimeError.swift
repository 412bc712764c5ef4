/// An error from loading or running a plan, with a message naming what is wrong.
public struct RuntimeError: Error, CustomStringConvertible, Equatable, Sendable {
  public var message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
