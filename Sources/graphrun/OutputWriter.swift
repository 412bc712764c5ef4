import Foundation
import GraphRuntime

/// Writes outputs as `.npy` (default) or raw `.bin`; with several outputs each gets its name in the file name.
enum OutputWriter {
  /// Writes every output; refuses, before writing anything, a target that is one of the
  /// `protected` files (the plan, the input) or that two outputs would share.
  static func write(_ outputs: [String: TypedTensor], order: [String], to path: String, protecting protected: [String]) throws {
    let raw = path.hasSuffix(".bin")
    let targets = order.map { order.count == 1 ? path : named(path, $0) }
    if let twice = Dictionary(grouping: targets, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
      throw RuntimeError.file(path: twice, reason: "two outputs would be written to the same file; rename the outputs or pass a different -o")
    }
    for target in targets {
      for file in protected where sameFile(target, file) {
        throw RuntimeError.file(path: target, reason: "refusing to write an output over \(file), which this run reads")
      }
    }
    for (name, target) in zip(order, targets) {
      guard let tensor = outputs[name] else { continue }
      // Each output as its own type: raw little-endian values (a bool one byte), or .npy with its dtype.
      if raw {
        try FileBytes.write(tensor.bytes, to: target)
      } else {
        try NPY.write(tensor, path: target)
      }
    }
  }

  /// Whether both paths exist and are the same file (links and `./` spellings included).
  static func sameFile(_ a: String, _ b: String) -> Bool {
    var x = stat(), y = stat()
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
  }

  /// `out.npy` + `aux1` → `out.aux1.npy`.
  static func named(_ path: String, _ name: String) -> String {
    let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "\(path).\(safe)" }
    return "\(path[..<dot]).\(safe)\(path[dot...])"
  }
}
