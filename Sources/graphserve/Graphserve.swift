import ArgumentParser
import Foundation
import GraphServing
import Logging

/// `graphserve --model-repository DIR`: serves compiled plans over the Open Inference
/// Protocol (KServe v2 / Triton HTTP) with dynamic batching.
@main
struct Graphserve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "graphserve",
    abstract: "Serve compiled plans over the Open Inference Protocol (KServe v2, Triton HTTP).",
    discussion: """
      The repository holds one folder per model: NAME/plan.bin (from `graphc compile`), optionally
      NAME/labels.txt (class names, one a line, for the classification extension) and NAME/config.json
      (per-model max_batch_size, max_queue_delay_microseconds, instances, threads). Routes: /v2/health/live,
      /v2/health/ready, /v2, /v2/models/NAME[/versions/1][/ready|/config|/infer], /v2/repository/index,
      /metrics (Prometheus). SIGTERM or SIGINT drain: readiness 503, in-flight requests finish, then exit.
      """
  )

  @Option(help: ArgumentHelp("The model repository folder.", valueName: "dir"))
  var modelRepository: String

  @Option(help: "Address to listen on.")
  var host = "127.0.0.1"

  @Option(help: "Port to listen on (0: any free port, printed at start).")
  var port = 8000

  @Option(help: "Kernel threads per session (default: the CPUs this process may use).")
  var threads: Int?

  @Option(help: "Sessions per model, each running one batch at a time.")
  var instances = 1

  @Option(help: "Most batch items run together (1: no dynamic batching). A larger request runs alone.")
  var maxBatch = 8

  @Option(help: ArgumentHelp("How long the first queued request waits for others to join its batch.", valueName: "us"))
  var maxQueueDelayUs = 0

  @Option(help: ArgumentHelp("Largest request body accepted (413 above).", valueName: "bytes"))
  var maxBodyBytes = 64 << 20

  @Option(help: "Inference requests admitted at once, queued ones included (503 above).")
  var maxConcurrentRequests = 256

  @Option(help: ArgumentHelp("Longest a request may wait in the queue before a 503 (0: no limit).", valueName: "ms"))
  var requestTimeoutMs = 60_000

  @Option(help: ArgumentHelp("After SIGTERM, answer 503 to readiness and new requests this long before closing the listener.", valueName: "ms"))
  var drainDelayMs = 0

  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
  var logLevel = "info"

  @Flag(help: "Log one JSON object per line instead of text.")
  var jsonLogs = false

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
    guard (1...64).contains(instances) else { throw ValidationError("--instances must be between 1 and 64") }
    guard maxBatch >= 1 else { throw ValidationError("--max-batch must be ≥ 1") }
    guard maxQueueDelayUs >= 0 else { throw ValidationError("--max-queue-delay-us must be ≥ 0") }
    guard maxBodyBytes >= 1 else { throw ValidationError("--max-body-bytes must be ≥ 1") }
    guard maxConcurrentRequests >= 1 else { throw ValidationError("--max-concurrent-requests must be ≥ 1") }
    guard requestTimeoutMs >= 0, drainDelayMs >= 0 else { throw ValidationError("--request-timeout-ms and --drain-delay-ms must be ≥ 0") }
    guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a level") }
  }

  func run() async throws {
    let level = Logger.Level(rawValue: logLevel)!
    let json = jsonLogs
    LoggingSystem.bootstrap { label in
      var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    let logger = Logger(label: "graphserve")
    let metrics = ServerMetrics()
    let options = BatchQueue.Options(
      maxBatch: maxBatch, maxQueueDelayMicroseconds: maxQueueDelayUs, instances: instances,
      threads: threads ?? min(256, max(1, ProcessInfo.processInfo.activeProcessorCount))
    )
    let repository: ModelRepository
    do {
      repository = try ModelRepository(path: modelRepository, options: options) { name in
        let model = metrics.model(name)
        return { items, nanoseconds in model.ranBatch(items: items, computeNanoseconds: nanoseconds) }
      }
    } catch {
      FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
      throw ExitCode.failure
    }
    let limits = InferenceService.Limits(
      maxBodyBytes: maxBodyBytes, maxConcurrentRequests: maxConcurrentRequests,
      requestTimeout: requestTimeoutMs > 0 ? .milliseconds(requestTimeoutMs) : nil
    )
    let service = InferenceService(repository: repository, metrics: metrics, limits: limits, logger: logger)
    let server = GraphServer(service: service, host: host, port: port, drainDelay: .milliseconds(drainDelayMs))
    try await server.run()
  }
}
