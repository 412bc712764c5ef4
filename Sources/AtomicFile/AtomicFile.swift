#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes whole files so that no one sees a half-written file and nothing but the named
/// file is ever changed. The compiler's plans and reports and the runtime's outputs all
/// go through here.
///
/// - A regular file (or a new one) is replaced through an exclusive, randomly named
///   temporary file beside it (`O_EXCL | O_NOFOLLOW`, so a planted link cannot redirect
///   the write), flushed with `fsync` and renamed over it; an existing file keeps its
///   permissions. A failed write (a full disk) or SIGINT/SIGTERM/SIGHUP leaves the old
///   file as it was and no temporary file behind.
/// - A device or pipe (`/dev/null`, `/dev/stdout`) is written in place, never replaced.
/// - A symbolic link is followed: the file it names is replaced, the link stays.
public enum AtomicFile {
  /// Why a write failed, in words.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
  }

  /// Writes `bytes` to `path` as described above.
  public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(Failure) {
    var target = path
    var link = stat()
    if lstat(path, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK {
      guard let real = realpath(path, nil) else { throw Failure(reason: "symbolic link to a missing file (\(errnoText()))") }
      target = String(cString: real)
      free(real)
    }
    var info = stat()
    let exists = stat(target, &info) == 0
    if exists && (info.st_mode & S_IFMT) == S_IFDIR { throw Failure(reason: "is a directory") }
    if exists && (info.st_mode & S_IFMT) != S_IFREG {
      try writeInPlace(bytes, to: target)
      return
    }
    try replace(target, with: bytes, mode: exists ? info.st_mode & 0o7777 : nil)
  }

  /// Writes `bytes` to `path` from an array.
  public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
    let result: Result<Void, Failure> = bytes.withUnsafeBytes { raw in
      do throws(Failure) { try write(raw, to: path); return .success(()) } catch { return .failure(error) }
    }
    try result.get()
  }

  // MARK: - Private

  private static func writeInPlace(_ bytes: UnsafeRawBufferPointer, to path: String) throws(Failure) {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Failure(reason: "cannot open (\(errnoText()))") }
    let ok = writeAll(fd, bytes)
    let error = errnoText()
    close(fd)
    guard ok else { throw Failure(reason: "cannot write (\(error))") }
  }

  private static func replace(_ path: String, with bytes: UnsafeRawBufferPointer, mode: mode_t?) throws(Failure) {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    // A short prefix of the name keeps the temporary name within NAME_MAX.
    let stem = "." + String(name.prefix(48)) + ".tmp-"
    var fd: Int32 = -1
    var temp = ""
    for _ in 0..<16 {
      temp = (folder.isEmpty ? "" : folder + "/") + stem + String(UInt64.random(in: 0...UInt64.max), radix: 36)
      fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ?? 0o644)
      if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else { throw Failure(reason: "cannot create a temporary file beside it (\(errnoText()))") }
    PendingTemporary.set(temp)
    defer { PendingTemporary.clear() }
    var ok = writeAll(fd, bytes) && fsync(fd) == 0
    if ok, let mode { ok = fchmod(fd, mode) == 0 }
    var error = errnoText()
    if close(fd) != 0 && ok { ok = false; error = errnoText() }
    if ok && rename(temp, path) != 0 { ok = false; error = errnoText() }
    if !ok {
      unlink(temp)
      throw Failure(reason: "cannot write (\(error))")
    }
  }

  private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < bytes.count {
      let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return false }
      done += n
    }
    return true
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}

#if canImport(Glibc)
  private let systemWrite = Glibc.write
#else
  private let systemWrite = Darwin.write
#endif

/// The temporary file being written, removed if a terminating signal arrives meanwhile.
private enum PendingTemporary {
  nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>? = nil
  nonisolated(unsafe) static var installed = false

  static func set(_ temp: String) {
    if !installed {
      installed = true
      for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, removeAndDie) }
    }
    path = strdup(temp)
  }

  static func clear() {
    let old = path
    path = nil
    free(old)
  }
}

/// Signal handler: only async-signal-safe calls (unlink, signal, raise).
private func removeAndDie(_ sig: Int32) {
  if let temp = PendingTemporary.path { unlink(temp) }
  signal(sig, SIG_DFL)
  raise(sig)
}
