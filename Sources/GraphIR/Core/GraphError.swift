/// Every error the front end and compiler report: each names where it happened.
public struct GraphError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file, node or value the error is about, e.g. `node 'conv1' (Conv)`.
  public var location: String
  public var message: String

  public init(_ location: String, _ message: String) {
    self.location = location
    self.message = message
  }

  /// An error about a node, named `node 'NAME' (OP)`.
  public static func node(_ node: Node, _ message: String) -> GraphError {
    GraphError(node.label, message)
  }

  public var description: String { location.isEmpty ? message : "\(location): \(message)" }

  /// The same error with `prefix` (usually a file path) in front of its location.
  public func inFile(_ path: String) -> GraphError {
    GraphError(location.isEmpty ? path : "\(path): \(location)", message)
  }
}
