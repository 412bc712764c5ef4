import Foundation

/// A model's optional `config.json` in the repository: per-model overrides of the server's
/// batching and threading options, e.g. `{"max_batch_size": 16, "instances": 2}`.
public struct ModelConfig: Equatable, Sendable {
  public var maxBatchSize: Int?
  public var maxQueueDelayMicroseconds: Int?
  public var instances: Int?
  public var threads: Int?

  public init() {}

  static let keys = ["max_batch_size", "max_queue_delay_microseconds", "instances", "threads"]

  /// Reads `path`; every key is optional, an unknown key or a wrong value is an error naming the file.
  public init(contentsOfFile path: String) throws(ServingError) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .internalError("\(path): cannot read the model's config")
    }
    let root: JSONValue
    do { root = try JSONParser.parse(data) } catch { throw .internalError("\(path): \(error.message)") }
    guard case .object(let members) = root else { throw .internalError("\(path): the config must be a JSON object") }
    for (key, value) in members {
      guard Self.keys.contains(key) else {
        throw .internalError("\(path): unknown key '\(key)'; known keys are \(Self.keys.joined(separator: ", "))")
      }
      guard case .number(let x) = value, x == x.rounded(), x >= (key == "max_queue_delay_microseconds" ? 0 : 1), x <= 1e9 else {
        throw .internalError("\(path): '\(key)' must be a \(key == "max_queue_delay_microseconds" ? "non-negative" : "positive") integer")
      }
      switch key {
      case "max_batch_size": maxBatchSize = Int(x)
      case "max_queue_delay_microseconds": maxQueueDelayMicroseconds = Int(x)
      case "instances": instances = Int(x)
      default: threads = Int(x)
      }
    }
    if let threads, threads > 256 { throw .internalError("\(path): 'threads' must be at most 256") }
    if let instances, instances > 64 { throw .internalError("\(path): 'instances' must be at most 64") }
  }

  /// The server-wide options with this config's overrides.
  func applied(to options: BatchQueue.Options) -> BatchQueue.Options {
    var o = options
    o.maxBatch = maxBatchSize ?? o.maxBatch
    o.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds ?? o.maxQueueDelayMicroseconds
    o.instances = instances ?? o.instances
    o.threads = threads ?? o.threads
    return o
  }
}
