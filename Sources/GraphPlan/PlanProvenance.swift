/// Where a plan came from: the compiler release that wrote it and the model it was compiled from,
/// so a plan found on a disk can be traced back (`graphc inspect`, `graphrun --json`).
public struct PlanProvenance: Equatable, Sendable {
  /// ``GraphcVersion/current`` of the compiler that wrote the plan.
  public var compilerVersion: String
  /// The model's file name without its folder (`resnet18.onnx`); empty for a plan compiled from
  /// a model held in memory.
  public var modelFile: String
  /// SHA-256 of the model file's bytes as 64 lowercase hex digits (external weight files are not
  /// included); empty when ``modelFile`` is.
  public var modelSHA256: String

  /// A plan compiled by this release; name and digest of the model when it came from a file.
  public init(compilerVersion: String = GraphcVersion.current, modelFile: String = "", modelSHA256: String = "") {
    self.compilerVersion = compilerVersion
    self.modelFile = modelFile
    self.modelSHA256 = modelSHA256
  }

  /// A plan compiled by this release from the model file at `path` holding `bytes`.
  public init(modelPath path: String, bytes: some Sequence<UInt8>) {
    self.init(modelFile: String(path.split(separator: "/").last ?? ""), modelSHA256: SHA256.hex(bytes))
  }

  /// Checks what the reader cannot take on trust: short printable strings and a well-formed digest.
  func validate(source: String) throws {
    func fail(_ what: String) -> PlanError { .format("\(source): provenance \(what)") }
    for (name, value) in [("compiler version", compilerVersion), ("model file", modelFile)] {
      guard value.utf8.count <= 4096, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw fail("\(name) is not a short printable string")
      }
    }
    guard !compilerVersion.isEmpty else { throw fail("has no compiler version") }
    let hexDigits = modelSHA256.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    guard (modelSHA256.isEmpty && modelFile.isEmpty) || (modelSHA256.count == 64 && hexDigits) else {
      throw fail("SHA-256 '\(modelSHA256.prefix(80))' is not 64 lowercase hex digits")
    }
  }
}
