import Foundation
import GraphRuntime

/// Class names for `--labels FILE`: one per line, line i naming class i (as ImageNet's
/// `synset_words.txt` and torchvision's category lists are written).
struct Labels {
  var names: [String]

  init(contentsOf path: String) throws {
    let bytes = try InputLoader.readBytes(path)
    var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
    if lines.last == "" { lines.removeLast() }
    guard !lines.isEmpty else { throw RuntimeError.input("\(path): no class names (expected one per line)") }
    names = lines
  }

  /// Checks that every output `--top` prints has exactly one name per class.
  func check(_ model: CompiledModel, path: String) throws {
    for output in model.outputs {
      let classes = output.itemShape.last ?? 1
      guard classes == names.count else {
        throw RuntimeError.input(
          "\(path): \(names.count) class name\(names.count == 1 ? "" : "s"), but output '\(output.name)' has \(classes) classes (its last axis)")
      }
    }
  }

  func callAsFunction(_ index: Int) -> String { index < names.count ? names[index] : "" }
}
