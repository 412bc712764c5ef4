import Foundation
import Logging
import Synchronization

/// The Open Inference Protocol's REST API over a ``ModelRepository``, independent of the
/// HTTP server that carries it (``OIPResponder`` adapts it to Hummingbird): routes,
/// health, metadata, inference with dynamic batching, limits and draining.
public final class InferenceService: Sendable {
  /// Limits that protect the server from one client or a burst of them.
  public struct Limits: Sendable {
    /// Largest request body accepted (413 above it).
    public var maxBodyBytes: Int
    /// Inference requests served at once, queued ones included (503 above it).
    public var maxConcurrentRequests: Int
    /// Longest a request may wait in the batching queue before it fails with 503; a
    /// request's own `timeout` parameter (microseconds) may shorten it.
    public var requestTimeout: Duration?

    public init(maxBodyBytes: Int = 64 << 20, maxConcurrentRequests: Int = 256, requestTimeout: Duration? = .seconds(60)) {
      self.maxBodyBytes = maxBodyBytes
      self.maxConcurrentRequests = maxConcurrentRequests
      self.requestTimeout = requestTimeout
    }
  }

  /// A response: status, content type, extra headers and body.
  public struct Reply: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    init(status: Int = 200, contentType: String = "application/json", headers: [(name: String, value: String)] = [], body: [UInt8]) {
      self.status = status
      self.contentType = contentType
      self.headers = headers
      self.body = body
    }

    init(_ error: ServingError) {
      self.init(status: error.status, headers: error.status == 503 ? [("Retry-After", "1")] : [], body: error.body)
    }
  }

  public static let serverName = "graphserve"
  public static let serverVersion = "0.1.0"
  /// The protocol extensions implemented, as the server metadata lists them.
  public static let extensions = ["binary_tensor_data", "classification", "model_configuration", "parameters"]

  public let repository: ModelRepository
  public let metrics: ServerMetrics
  public let limits: Limits
  let logger: Logger
  private let modelMetrics: [String: ServerMetrics.Model]
  private let state = Mutex(State())

  private struct State {
    var draining = false
    var inFlight = 0
  }

  public init(repository: ModelRepository, metrics: ServerMetrics, limits: Limits = Limits(), logger: Logger = Logger(label: "graphserve")) {
    self.repository = repository
    self.metrics = metrics
    self.limits = limits
    self.logger = logger
    self.modelMetrics = Dictionary(uniqueKeysWithValues: repository.names.map { ($0, metrics.model($0)) })
  }

  /// From now on readiness reports 503 and new inference requests get 503; requests
  /// already admitted finish.
  public func beginDraining() {
    state.withLock { $0.draining = true }
    logger.notice("draining: readiness now 503, new inference requests refused")
  }

  public var isDraining: Bool { state.withLock { $0.draining } }

  /// Inference requests admitted and not yet answered.
  public var inFlight: Int { state.withLock { $0.inFlight } }

  // MARK: - Routing

  /// Answers one HTTP request.
  /// - Parameters:
  ///   - header: a request header's value by (case-insensitive) name.
  ///   - readBody: reads the whole body, failing past the given number of bytes.
  public func respond(
    method: String, path: String, header: (String) -> String?, readBody: (Int) async throws -> [UInt8]
  ) async -> Reply {
    let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    let isGet = method == "GET" || method == "HEAD"
    do {
      switch parts.first {
      case "metrics"? where parts.count == 1:
        guard isGet else { throw Self.wrongMethod(method, path) }
        return Reply(contentType: "text/plain; version=0.0.4", body: metrics.exposition())
      case "v2"?:
        return try await v2(Array(parts.dropFirst()), method: method, isGet: isGet, header: header, readBody: readBody)
      default:
        throw ServingError.notFound("no route for \(method) \(path)")
      }
    } catch let error as ServingError {
      return Reply(error)
    } catch {
      return Reply(.internalError("\(error)"))
    }
  }

  private func v2(
    _ parts: [String], method: String, isGet: Bool, header: (String) -> String?, readBody: (Int) async throws -> [UInt8]
  ) async throws -> Reply {
    let path = "/v2/" + parts.joined(separator: "/")
    switch parts.count {
    case 0:
      guard isGet else { throw Self.wrongMethod(method, path) }
      return Reply(body: serverMetadata)
    case 2 where parts[0] == "health" && (parts[1] == "live" || parts[1] == "ready"):
      guard isGet else { throw Self.wrongMethod(method, path) }
      if parts[1] == "live" { return Reply(body: Self.object { $0.member("live") { $0.raw("true") } }) }
      let ready = !isDraining
      return Reply(status: ready ? 200 : 503, body: Self.object { $0.member("ready") { $0.raw(ready ? "true" : "false") } })
    case 2 where parts[0] == "repository" && parts[1] == "index":
      guard method == "POST" else { throw Self.wrongMethod(method, path) }
      return Reply(body: repositoryIndex)
    default:
      break
    }
    // models/NAME[/versions/V][/ready|/config|/infer]
    guard parts.count >= 2, parts[0] == "models" else { throw ServingError.notFound("no route for \(method) \(path)") }
    var rest = parts.dropFirst(2)
    var version: String? = nil
    if rest.count >= 2, rest.first == "versions" {
      version = rest.dropFirst().first
      rest = rest.dropFirst(2)
    }
    guard rest.count <= 1 else { throw ServingError.notFound("no route for \(method) \(path)") }
    let model = try model(parts[1], version: version)
    switch rest.first {
    case nil:
      guard isGet else { throw Self.wrongMethod(method, path) }
      return Reply(body: model.metadata)
    case "ready"?:
      guard isGet else { throw Self.wrongMethod(method, path) }
      let ready = !isDraining
      return Reply(
        status: ready ? 200 : 503,
        body: Self.object { o in
          o.member("name") { $0.string(model.name) }
          o.member("ready") { $0.raw(ready ? "true" : "false") }
        }
      )
    case "config"?:
      guard isGet else { throw Self.wrongMethod(method, path) }
      return Reply(body: model.configuration)
    case "infer"?:
      guard method == "POST" else { throw Self.wrongMethod(method, path) }
      return await infer(model, header: header, readBody: readBody)
    default:
      throw ServingError.notFound("no route for \(method) \(path)")
    }
  }

  private func model(_ name: String, version: String?) throws(ServingError) -> ServedModel {
    guard let model = repository.models[name] else {
      throw .notFound("unknown model '\(name)'; this server has \(repository.names.map { "'\($0)'" }.joined(separator: ", "))")
    }
    guard model.serves(version: version) else {
      throw .notFound("model '\(name)' has no version '\(version ?? "")'; it serves version '\(model.version)'")
    }
    return model
  }

  private static func wrongMethod(_ method: String, _ path: String) -> ServingError {
    ServingError(status: 405, "\(method) is not allowed on \(path)")
  }

  // MARK: - Inference

  private func infer(_ model: ServedModel, header: (String) -> String?, readBody: (Int) async throws -> [UInt8]) async -> Reply {
    let metrics = modelMetrics[model.name]!
    do {
      try admit()
      defer { release() }
      let reply = try await runInference(model, header: header, readBody: readBody, metrics: metrics)
      return reply
    } catch let error as ServingError {
      metrics.failed(status: error.status)
      // The model failing is an error; refusals (overload, draining, timeouts: 503; bad requests: 4xx)
      // are the clients' business and would flood the log under load.
      let level: Logger.Level = error.status == 503 ? .info : error.status >= 500 ? .error : .debug
      logger.log(level: level, "inference failed", metadata: ["model": "\(model.name)", "status": "\(error.status)", "error": "\(error.message)"])
      return Reply(error)
    } catch {
      metrics.failed(status: 500)
      return Reply(.internalError("\(error)"))
    }
  }

  private func runInference(
    _ model: ServedModel, header: (String) -> String?, readBody: (Int) async throws -> [UInt8], metrics: ServerMetrics.Model
  ) async throws -> Reply {
    if let encoding = header("Content-Encoding"), encoding.lowercased() != "identity" {
      throw ServingError(status: 415, "Content-Encoding '\(encoding)' is not supported; send the body uncompressed")
    }
    if let length = header("Content-Length").flatMap(Int.init), length > limits.maxBodyBytes {
      throw ServingError.tooLarge("the body has \(length) bytes; this server accepts at most \(limits.maxBodyBytes)")
    }
    var headerLength: Int? = nil
    if let value = header("Inference-Header-Content-Length") {
      guard let n = Int(value.trimmingCharacters(in: .whitespaces)), n >= 0 else {
        throw ServingError.badRequest("Inference-Header-Content-Length '\(value)' is not a byte count")
      }
      headerLength = n
    }
    let body = try await readBody(limits.maxBodyBytes)
    let request = try body.withUnsafeBytes { (raw) throws(ServingError) in
      try InferenceRequest(body: raw, headerLength: headerLength, signature: model.signature)
    }
    var timeout = limits.requestTimeout
    if let micros = request.timeoutMicroseconds, micros > 0 {
      let requested = Duration.microseconds(micros)
      timeout = timeout.map { min($0, requested) } ?? requested
    }
    let result = try await model.queue.submit(request.inputs, batch: request.batch, timeout: timeout)
    let response = InferenceResponse(
      modelName: model.name, modelVersion: model.version, request: request,
      signature: model.signature, outputs: result.outputs, labels: model.labels
    )
    metrics.succeeded(queueNanoseconds: result.queueNanoseconds)
    logger.debug(
      "inferred",
      metadata: [
        "model": "\(model.name)", "items": "\(request.batch)", "batch": "\(result.batchSize)",
        "queue_ms": "\(Double(result.queueNanoseconds) / 1e6)", "compute_ms": "\(Double(result.computeNanoseconds) / 1e6)",
      ]
    )
    if let length = response.headerLength {
      return Reply(contentType: "application/octet-stream", headers: [("Inference-Header-Content-Length", String(length))], body: response.body)
    }
    return Reply(body: response.body)
  }

  private func admit() throws(ServingError) {
    let refusal: ServingError? = state.withLock { state in
      if state.draining { return .unavailable("the server is shutting down") }
      if state.inFlight >= limits.maxConcurrentRequests {
        return .unavailable("too many inference requests in flight (limit \(limits.maxConcurrentRequests)); retry later")
      }
      state.inFlight += 1
      return nil
    }
    if let refusal { throw refusal }
    metrics.requestStarted()
  }

  private func release() {
    state.withLock { $0.inFlight -= 1 }
    metrics.requestFinished()
  }

  // MARK: - Metadata

  private var serverMetadata: [UInt8] {
    Self.object { o in
      o.member("name") { $0.string(Self.serverName) }
      o.member("version") { $0.string(Self.serverVersion) }
      o.member("extensions") { $0.strings(Self.extensions) }
    }
  }

  /// Triton's repository index: every model, its version and state.
  private var repositoryIndex: [UInt8] {
    var json = JSONWriter()
    json.list(repository.names) { json, name in
      json.object { o in
        o.member("name") { $0.string(name) }
        o.member("version") { $0.string(repository.models[name]!.version) }
        o.member("state") { $0.string("READY") }
      }
    }
    return json.bytes
  }

  private static func object(_ members: (inout JSONWriter.ObjectWriter) -> Void) -> [UInt8] {
    var json = JSONWriter()
    json.object(members)
    return json.bytes
  }
}
