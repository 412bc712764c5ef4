import Glibc

/// Whole-file reads and writes through the C library (the runtime avoids Foundation).
enum FileBytes {
  static func read(_ path: String) throws -> [UInt8] {
    // fopen succeeds on directories on Linux and their "size" is meaningless: check first.
    var info = stat()
    guard stat(path, &info) == 0 else { throw RuntimeError("cannot open \(path): \(errnoText())") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw RuntimeError("cannot read \(path): not a regular file") }
    guard let file = fopen(path, "rb") else { throw RuntimeError("cannot open \(path): \(errnoText())") }
    defer { fclose(file) }
    guard fseek(file, 0, SEEK_END) == 0 else { throw RuntimeError("cannot seek in \(path): \(errnoText())") }
    let size = ftell(file)
    guard size >= 0, fseek(file, 0, SEEK_SET) == 0 else { throw RuntimeError("cannot size \(path): \(errnoText())") }
    var bytes = [UInt8](repeating: 0, count: size)
    let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
    guard got == size else { throw RuntimeError("short read from \(path): \(got) of \(size) bytes") }
    return bytes
  }

  static func write(_ bytes: [UInt8], to path: String) throws {
    guard let file = fopen(path, "wb") else { throw RuntimeError("cannot create \(path): \(errnoText())") }
    let put = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, file) }
    let closed = fclose(file)
    guard put == bytes.count, closed == 0 else { throw RuntimeError("cannot write \(path): \(errnoText())") }
  }

  private static func errnoText() -> String {
    String(cString: strerror(errno))
  }
}
