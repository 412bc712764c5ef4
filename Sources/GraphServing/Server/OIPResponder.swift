import HTTPTypes
import Hummingbird
import NIOCore

/// Carries Hummingbird's requests to an ``InferenceService`` and its replies back.
public struct OIPResponder: HTTPResponder {
  public typealias Context = BasicRequestContext
  let service: InferenceService

  public init(service: InferenceService) { self.service = service }

  public func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
    let reply = await service.respond(
      method: request.method.rawValue,
      path: request.uri.path,
      header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } },
      readBody: { limit in
        do {
          let buffer = try await request.body.collect(upTo: limit)
          return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
          throw ServingError.tooLarge("the body exceeds \(limit) bytes, the most this server accepts")
        }
      }
    )
    var headers = HTTPFields()
    headers[.contentType] = reply.contentType
    for (name, value) in reply.headers {
      if let field = HTTPField.Name(name) { headers[field] = value }
    }
    return Response(status: .init(code: reply.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
  }
}
