import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// graphserve assembled: the HTTP server over an ``InferenceService``, run in a service
/// group that drains gracefully on SIGTERM or SIGINT, in this order:
/// 1. readiness turns 503 and new inference requests get 503, for `drainDelay` (so a load
///    balancer stops sending traffic while the server still answers);
/// 2. the listener closes and requests in flight finish;
/// 3. the batching workers finish what is queued and stop.
public struct GraphServer: Sendable {
  public var host: String
  public var port: Int
  public var drainDelay: Duration
  public let service: InferenceService

  public init(service: InferenceService, host: String = "127.0.0.1", port: Int = 8000, drainDelay: Duration = .zero) {
    self.service = service
    self.host = host
    self.port = port
    self.drainDelay = drainDelay
  }

  /// Serves until a signal (or `onRunning`'s caller) ends it; `onRunning` receives the bound
  /// port (useful with port 0).
  public func run(signals: [UnixSignal] = [.sigterm, .sigint], onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    let logger = service.logger
    let app = Application(
      responder: OIPResponder(service: service),
      configuration: .init(address: .hostname(host, port: port), serverName: InferenceService.serverName),
      services: [WorkerShutdown(repository: service.repository)],
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? -1
        logger.notice("listening", metadata: ["host": "\(host)", "port": "\(port)", "models": "\(service.repository.names)"])
        await onRunning(port)
      },
      logger: logger
    )
    let group = ServiceGroup(
      configuration: .init(
        services: [app, Drain(service: service, delay: drainDelay)],
        gracefulShutdownSignals: signals,
        logger: logger
      )
    )
    try await group.run()
    logger.notice("stopped")
  }

  /// Shut down first (services stop in reverse order): starts draining, then waits.
  struct Drain: Service {
    let service: InferenceService
    let delay: Duration

    func run() async throws {
      try await gracefulShutdown()
      service.beginDraining()
      if delay > .zero { try? await Task.sleep(for: delay) }
    }
  }

  /// Shut down after the HTTP server: lets the workers finish their queues.
  struct WorkerShutdown: Service {
    let repository: ModelRepository

    func run() async throws {
      try? await gracefulShutdown()
      await repository.shutdown()
    }
  }
}
