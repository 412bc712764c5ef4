#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AtomicFile

/// Whole-file writes through the C library (the runtime avoids Foundation); reads go through ``TensorFile``.
package enum FileBytes {
  /// Replaces the file whole (see ``AtomicFile``): a failed write leaves the old one intact.
  package static func write(_ bytes: [UInt8], to path: String) throws {
    do {
      try AtomicFile.write(bytes, to: path)
    } catch {
      throw RuntimeError.file(path: path, reason: error.reason)
    }
  }
}
