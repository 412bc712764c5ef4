#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AtomicFile

/// Whole-file reads and writes through the C library (the runtime avoids Foundation).
enum FileBytes {
  static func read(_ path: String) throws -> [UInt8] {
    // fopen succeeds on directories on Linux and their "size" is meaningless: check first.
    var info = stat()
    guard stat(path, &info) == 0 else { throw RuntimeError.file(path: path, reason: "cannot open (\(errnoText()))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw RuntimeError.file(path: path, reason: "cannot read: not a regular file") }
    guard let file = fopen(path, "rb") else { throw RuntimeError.file(path: path, reason: "cannot open (\(errnoText()))") }
    defer { fclose(file) }
    guard fseek(file, 0, SEEK_END) == 0 else { throw RuntimeError.file(path: path, reason: "cannot seek (\(errnoText()))") }
    let size = ftell(file)
    guard size >= 0, fseek(file, 0, SEEK_SET) == 0 else { throw RuntimeError.file(path: path, reason: "cannot size (\(errnoText()))") }
    var bytes = [UInt8](repeating: 0, count: size)
    let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
    guard got == size else { throw RuntimeError.file(path: path, reason: "short read, \(got) of \(size) bytes") }
    return bytes
  }

  /// Replaces the file whole (see ``AtomicFile``): a failed write leaves the old one intact.
  static func write(_ bytes: [UInt8], to path: String) throws {
    do {
      try AtomicFile.write(bytes, to: path)
    } catch {
      throw RuntimeError.file(path: path, reason: error.reason)
    }
  }

  private static func errnoText() -> String {
    String(cString: strerror(errno))
  }
}
