import Foundation
import Logging

/// A swift-log handler writing one JSON object per line to standard error
/// (`{"ts":…,"level":…,"label":…,"msg":…, metadata…}`), for log collectors.
public struct JSONLogHandler: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]
  let label: String

  public init(label: String) { self.label = label }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var json = JSONWriter()
    json.object { o in
      o.member("ts") { $0.string(Date().ISO8601Format(.iso8601.time(includingFractionalSeconds: true).year().month().day())) }
      o.member("level") { $0.string(event.level.rawValue) }
      o.member("label") { $0.string(label) }
      o.member("msg") { $0.string(event.message.description) }
      for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
        o.member(key) { $0.string(value.description) }
      }
    }
    FileHandle.standardError.write(Data(json.bytes + [0x0A]))
  }
}
