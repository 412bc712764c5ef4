#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GraphPlan

/// A regular file whose values are read once, straight into the float array a tensor keeps:
/// no copy of the whole file's bytes first, and the array's size checked against the
/// ``Limits`` before it is allocated. (A 400 MB input then costs 400 MB, not 1.2 GB.)
package final class TensorFile {
  package let path: String
  /// Bytes in the file.
  package let size: Int
  private let fd: Int32

  package init(_ path: String) throws {
    self.path = path
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw RuntimeError.file(path: path, reason: "cannot open (\(Self.errnoText()))") }
    var info = stat()
    // Directories, FIFOs and devices have no meaningful size: refuse them by what they are.
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw RuntimeError.file(path: path, reason: "cannot read: not a regular file")
    }
    size = Int(info.st_size)
  }

  deinit { close(fd) }

  /// Up to `count` bytes from `offset` (fewer at the end of the file).
  package func bytes(at offset: Int = 0, count: Int) throws -> [UInt8] {
    let n = max(0, min(count, size - offset))
    var bytes = [UInt8](repeating: 0, count: n)
    try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
    return bytes
  }

  /// `count` elements of type `element` from byte `offset`, converted to float32 (messages
  /// leave the path to the caller's ``RuntimeError/inFile(_:)``).
  /// - Throws: ``RuntimeError/limit(_:)`` when `count` floats are over ``Limits/maxTensorBytes``
  ///   (before allocating), ``RuntimeError/format(_:)`` when the file is shorter than that.
  package func floats(_ count: Int, of element: NPYElement = .f4, at offset: Int, limits: Limits) throws -> [Float] {
    try check(count, of: element, at: offset, limits: limits)
    return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]), of: element, at: offset)
      initialized = count
    }
  }

  /// Checks that `count` elements from `offset` are in the file and their float32s within the limits.
  package func check(_ count: Int, of element: NPYElement = .f4, at offset: Int, limits: Limits) throws {
    do {
      try limits.check("\(count) float32 values", count: count, elementSize: 4, against: \.maxTensorBytes)
    } catch { throw RuntimeError.limit(error) }
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: element.size)
    guard !overflow, offset >= 0, offset <= size, byteCount <= size - offset else {
      throw RuntimeError.format("\(count) values of \(element.name) need \(overflow ? "more than 2^63" : String(byteCount)) bytes from offset \(offset), the file has \(size) bytes")
    }
  }

  /// Fills `buffer` with its count of elements of type `element` from byte `offset`, converted to
  /// float32: where the tensor's values go (a new array, or a session's arena).
  package func read(into buffer: UnsafeMutableBufferPointer<Float>, of element: NPYElement = .f4, at offset: Int) throws {
    let count = buffer.count
    if element == .f4 && 1.littleEndian == 1 {
      // Little-endian float32: the file's bytes are the values.
      try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
      return
    }
    // Anything else goes through a small buffer, converted element by element.
    let chunkElements = max(1, (1 << 20) / element.size)
    var chunk = [UInt8](repeating: 0, count: chunkElements * element.size)
    var done = 0
    while done < count {
      let n = min(chunkElements, count - done)
      try chunk.withUnsafeMutableBytes { raw in
        let part = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(n * element.size)])
        try read(into: part, at: offset + done * element.size)
        for i in 0..<n { buffer[done + i] = element.load(UnsafeRawBufferPointer(part), at: i * element.size) }
      }
      done += n
    }
  }

  /// Fills `buffer` from `offset`, in as many reads as the system needs.
  private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
    var done = 0
    while done < buffer.count {
      let got = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else {
        throw RuntimeError.file(path: path, reason: got < 0 ? "cannot read (\(Self.errnoText()))" : "short read, \(done) of \(buffer.count) bytes")
      }
      done += got
    }
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}
