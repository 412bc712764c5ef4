import Foundation
import GraphRuntime

/// A model repository: a folder with one folder per model, `NAME/plan.bin` (written by
/// `graphc compile`) and optionally `NAME/labels.txt` (one class name per line) and
/// `NAME/config.json` (``ModelConfig``). Every plan is mapped once at start-up.
public final class ModelRepository: Sendable {
  /// The models by name.
  public let models: [String: ServedModel]

  /// Model names, sorted.
  public var names: [String] { models.keys.sorted() }

  /// Loads every model under `path`.
  /// - Throws: ``ServingError`` naming the file when the folder holds no model, or a
  ///   plan, labels file or config cannot be read.
  public init(path: String, options: BatchQueue.Options, observer: (@Sendable (String) -> BatchQueue.BatchObserver)? = nil) throws(ServingError) {
    let files = FileManager.default
    var isDirectory: ObjCBool = false
    guard files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw .internalError("\(path): the model repository is not a folder")
    }
    let entries: [String]
    do { entries = try files.contentsOfDirectory(atPath: path) } catch {
      throw .internalError("\(path): cannot list the model repository (\(error.localizedDescription))")
    }
    var models: [String: ServedModel] = [:]
    for name in entries.sorted() where !name.hasPrefix(".") {
      let folder = path + "/" + name
      let plan = folder + "/plan.bin"
      guard files.fileExists(atPath: plan) else { continue }
      do {
        let model = try CompiledModel(contentsOfFile: plan)
        let labels = try Self.labels(folder + "/labels.txt")
        let config = files.fileExists(atPath: folder + "/config.json") ? try ModelConfig(contentsOfFile: folder + "/config.json") : ModelConfig()
        models[name] = try ServedModel(name: name, model: model, labels: labels, options: config.applied(to: options), observer: observer?(name))
      } catch let error as RuntimeError {
        throw .internalError("model '\(name)': \(error.message)")
      } catch let error as ServingError {
        throw error
      } catch {
        throw .internalError("model '\(name)': \(error)")
      }
    }
    guard !models.isEmpty else { throw .internalError("\(path): no model folders with a plan.bin") }
    self.models = models
  }

  private static func labels(_ path: String) throws(ServingError) -> [String]? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
      throw .internalError("\(path): cannot read the labels as UTF-8 text")
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    if lines.last == "" { lines.removeLast() }
    return lines
  }

  /// Stops every model's workers after they finish what is queued.
  public func shutdown() async {
    for model in models.values { await model.queue.shutdown() }
  }
}
