/// Little-endian binary encoding for the plan file's sections.
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
  mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
  mutating func float(_ v: Float) { u32(v.bitPattern) }
  mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }

  mutating func string(_ s: String) {
    let utf8 = Array(s.utf8)
    u32(UInt32(utf8.count))
    bytes.append(contentsOf: utf8)
  }

  mutating func ints(_ v: [Int]) {
    u32(UInt32(v.count))
    v.forEach { int($0) }
  }

  /// Pads with zeros until `start + count` is a multiple of `alignment`
  /// (`start` is where these bytes will sit in the file).
  mutating func align(_ alignment: Int, after start: Int = 0) {
    while (start + bytes.count) % alignment != 0 { bytes.append(0) }
  }

  mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }
}

/// Bounds-checked reading: every overrun is a ``PlanError``, never a trap.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  private(set) var position: Int
  let end: Int
  let context: String

  init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil, context: String) {
    self.bytes = bytes
    self.position = start
    self.end = end ?? bytes.count
    self.context = context
  }

  var isAtEnd: Bool { position >= end }

  private mutating func take(_ n: Int) throws -> Int {
    guard n >= 0, n <= end - position else {
      throw PlanError.format("\(context): truncated (needs \(n) bytes at offset \(position), section ends at \(end))")
    }
    defer { position += n }
    return position
  }

  mutating func u8() throws -> UInt8 { bytes[try take(1)] }
  mutating func u32() throws -> UInt32 {
    UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self))
  }
  mutating func u64() throws -> UInt64 {
    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self))
  }
  mutating func float() throws -> Float { Float(bitPattern: try u32()) }
  mutating func bool() throws -> Bool { try u8() != 0 }

  /// A signed count or size, refused when negative or beyond `limit`.
  mutating func int(limit: Int = 1 << 40) throws -> Int {
    let v = Int64(bitPattern: try u64())
    guard v >= 0, v <= limit else { throw PlanError.format("\(context): value \(v) out of range at offset \(position - 8)") }
    return Int(v)
  }

  mutating func string() throws -> String {
    let n = Int(try u32())
    let start = try take(n)
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + n)]), as: UTF8.self)
  }

  mutating func ints(limit: Int = 1 << 40) throws -> [Int] {
    let n = Int(try u32())
    guard n <= 64 else { throw PlanError.format("\(context): list of \(n) values is implausibly long") }
    return try (0..<n).map { _ in try int(limit: limit) }
  }

  /// A list as long as a tensor axis (an index-copy or resize table, written by ``ByteWriter/ints(_:)``):
  /// its length bounded by the bytes left in the section rather than by 64, each value within
  /// -1...`limit`.
  mutating func positions(limit: Int = 1 << 40) throws -> [Int] {
    let n = Int(try u32())
    guard n <= (end - position) / 8 else { throw PlanError.format("\(context): truncated (a list of \(n) positions at offset \(position))") }
    return try (0..<n).map { _ in
      let v = Int64(bitPattern: try u64())
      guard v >= -1, v <= Int64(limit) else { throw PlanError.format("\(context): value \(v) out of range at offset \(position - 8)") }
      return Int(v)
    }
  }

  /// Like ``ints(limit:)`` for values that may be negative (a slice's steps): each within ±`limit`.
  mutating func signedInts(limit: Int = 1 << 40) throws -> [Int] {
    let n = Int(try u32())
    guard n <= 64 else { throw PlanError.format("\(context): list of \(n) values is implausibly long") }
    return try (0..<n).map { _ in
      let v = Int64(bitPattern: try u64())
      guard v >= -Int64(limit), v <= Int64(limit) else { throw PlanError.format("\(context): value \(v) out of range at offset \(position - 8)") }
      return Int(v)
    }
  }
}
