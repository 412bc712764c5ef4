import ArgumentParser
import GraphRuntime

/// `--max-memory SIZE` (``Limits/init(memory:)-(String)``).
extension Limits: ExpressibleByArgument {
  public init?(argument: String) { self.init(memory: argument) }
  public var defaultValueDescription: String { "this machine's memory" }
}
