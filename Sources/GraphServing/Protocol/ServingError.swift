/// A request the server answers with an error: the HTTP status and the message that goes
/// into the protocol's `{"error": "…"}` body.
public struct ServingError: Error, Equatable, Sendable {
  public var status: Int
  public var message: String

  public init(status: Int, _ message: String) {
    self.status = status
    self.message = message
  }

  /// The request itself is wrong (malformed JSON, a wrong shape or datatype): 400.
  public static func badRequest(_ message: String) -> ServingError { ServingError(status: 400, message) }
  /// No such model, version or route: 404.
  public static func notFound(_ message: String) -> ServingError { ServingError(status: 404, message) }
  /// The body exceeds `--max-body-bytes`: 413.
  public static func tooLarge(_ message: String) -> ServingError { ServingError(status: 413, message) }
  /// Not ready, draining, overloaded or timed out; the client may retry: 503.
  public static func unavailable(_ message: String) -> ServingError { ServingError(status: 503, message) }
  /// The model failed to run an input it accepted: 500.
  public static func internalError(_ message: String) -> ServingError { ServingError(status: 500, message) }

  /// The protocol's error object.
  public var body: [UInt8] {
    var json = JSONWriter()
    json.object { $0.member("error") { $0.string(message) } }
    return json.bytes
  }
}
