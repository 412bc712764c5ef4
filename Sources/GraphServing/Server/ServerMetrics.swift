import Prometheus

/// The Prometheus metrics served at `/metrics`, per model: inference requests and
/// failures (by HTTP status), time waiting in the batching queue, compute time per batch,
/// and batch sizes; plus requests in flight.
public final class ServerMetrics: Sendable {
  public let registry = PrometheusCollectorRegistry()
  private let inFlight: Gauge

  public init() {
    inFlight = registry.makeGauge(
      descriptor: MetricNameDescriptor(namespace: "graphserve", metricName: "inference_requests_in_flight", unitName: "", helpText: "Inference requests being served.")
    )
  }

  /// The metrics of one model, created once and then updated without lookups.
  public struct Model: Sendable {
    let requests: Counter
    let queueTime: DurationHistogram
    let computeTime: DurationHistogram
    let batchSize: ValueHistogram
    let registry: PrometheusCollectorRegistry
    let name: String

    /// A request that got its outputs.
    public func succeeded(queueNanoseconds: UInt64) {
      requests.increment()
      queueTime.recordNanoseconds(Int64(clamping: queueNanoseconds))
    }

    /// A request answered with an error status.
    public func failed(status: Int) {
      registry.makeCounter(
        descriptor: MetricNameDescriptor(namespace: "graphserve", metricName: "inference_failures", unitName: "total", helpText: "Inference requests answered with an error, by HTTP status."),
        labels: [("model", name), ("status", String(status))]
      ).increment()
    }

    /// One batch run by a worker.
    public func ranBatch(items: Int, computeNanoseconds: UInt64) {
      computeTime.recordNanoseconds(Int64(clamping: computeNanoseconds))
      batchSize.record(Double(items))
    }
  }

  public func model(_ name: String) -> Model {
    let labels = [("model", name)]
    let latency: [Duration] = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000].map { .microseconds($0) }
    return Model(
      requests: registry.makeCounter(
        descriptor: MetricNameDescriptor(namespace: "graphserve", metricName: "inference_requests", unitName: "total", helpText: "Inference requests answered with outputs."),
        labels: labels
      ),
      queueTime: registry.makeDurationHistogram(
        descriptor: MetricNameDescriptor(namespace: "graphserve", metricName: "queue_duration", unitName: "seconds", helpText: "Time a request waited in the batching queue."),
        labels: labels, buckets: latency
      ),
      computeTime: registry.makeDurationHistogram(
        descriptor: MetricNameDescriptor(namespace: "graphserve", metricName: "compute_duration", unitName: "seconds", helpText: "Time to run one batch."),
        labels: labels, buckets: latency
      ),
      batchSize: registry.makeValueHistogram(
        descriptor: MetricNameDescriptor(namespace: "graphserve", metricName: "batch_size", unitName: "items", helpText: "Batch items run together."),
        labels: labels, buckets: [1, 2, 4, 8, 16, 32, 64, 128]
      ),
      registry: registry, name: name
    )
  }

  func requestStarted() { inFlight.increment() }
  func requestFinished() { inFlight.decrement() }

  /// The text exposition format.
  public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
