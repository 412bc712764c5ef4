import Foundation
import GraphRuntime

/// One model of the repository: its plan (mapped once), optional labels and config, and
/// the batching queue whose sessions run it.
public final class ServedModel: Sendable {
  public let name: String
  /// The only version served; the protocol's version paths must name it.
  public let version = "1"
  public let signature: ModelSignature
  /// Class names, one per line of `labels.txt`, for the classification extension.
  public let labels: [String]?
  public let queue: BatchQueue

  /// The platform reported in metadata.
  public static let platform = "graphc_plan"

  public init(name: String, model: CompiledModel, labels: [String]?, options: BatchQueue.Options, observer: BatchQueue.BatchObserver? = nil) throws(RuntimeError) {
    self.name = name
    self.signature = ModelSignature(model)
    self.labels = labels
    self.queue = try BatchQueue(model: model, options: options, observer: observer)
  }

  /// Whether `version` (from a `/versions/{v}` path) names this model's version; nil means any.
  public func serves(version: String?) -> Bool { version == nil || version == self.version }

  /// The protocol's model metadata object.
  public var metadata: [UInt8] {
    var json = JSONWriter()
    json.object { o in
      o.member("name") { $0.string(name) }
      o.member("versions") { $0.strings([version]) }
      o.member("platform") { $0.string(Self.platform) }
      o.member("inputs") { json in json.list(signature.inputs) { tensor(&$0, $1) } }
      o.member("outputs") { json in json.list(signature.outputs) { tensor(&$0, $1) } }
    }
    return json.bytes
  }

  private func tensor(_ json: inout JSONWriter, _ t: ModelSignature.Tensor) {
    json.object { o in
      o.member("name") { $0.string(t.name) }
      o.member("datatype") { $0.string(t.datatype.rawValue) }
      o.member("shape") { $0.ints(signature.protocolShape(t)) }
    }
  }

  /// Triton's model configuration object (`GET …/config`), which its clients read for
  /// the batch limit: shapes there are per item, as Triton writes them when batching.
  public var configuration: [UInt8] {
    let options = queue.options
    var json = JSONWriter()
    json.object { o in
      o.member("name") { $0.string(name) }
      o.member("platform") { $0.string(Self.platform) }
      o.member("max_batch_size") { $0.int(signature.fixedBatch == nil ? options.maxBatch : 0) }
      for (key, tensors) in [("input", signature.inputs), ("output", signature.outputs)] {
        o.member(key) { json in
          json.list(tensors) { json, t in
            json.object { o in
              o.member("name") { $0.string(t.name) }
              o.member("data_type") { $0.string("TYPE_" + t.datatype.rawValue) }
              o.member("dims") { $0.ints(signature.fixedBatch.map { [$0] + t.itemShape } ?? t.itemShape) }
            }
          }
        }
      }
      o.member("dynamic_batching") { $0.object { $0.member("max_queue_delay_microseconds") { $0.int(options.maxQueueDelayMicroseconds) } } }
      o.member("instance_group") { json in
        json.list([options.instances]) { json, count in
          json.object { o in
            o.member("count") { $0.int(count) }
            o.member("kind") { $0.raw("\"KIND_CPU\"") }
          }
        }
      }
    }
    return json.bytes
  }
}
