import GraphRuntime

/// Writes outputs as `.npy` (default) or raw `.bin`; with several outputs each gets its name in the file name.
enum OutputWriter {
  static func write(_ outputs: [String: FloatTensor], order: [String], to path: String) throws {
    let raw = path.hasSuffix(".bin")
    for name in order {
      guard let tensor = outputs[name] else { continue }
      let target = order.count == 1 ? path : named(path, name)
      if raw {
        try RawFloat32.write(tensor.values, path: target)
      } else {
        try NPY.write(NPYArray(shape: tensor.shape, data: tensor.values), path: target)
      }
    }
  }

  /// `out.npy` + `aux1` → `out.aux1.npy`.
  static func named(_ path: String, _ name: String) -> String {
    let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "\(path).\(safe)" }
    return "\(path[..<dot]).\(safe)\(path[dot...])"
  }
}
