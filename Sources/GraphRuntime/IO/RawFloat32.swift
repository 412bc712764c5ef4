import GraphPlan

/// Headerless little-endian float32 files (`.bin`), as `ndarray.tofile` writes them.
public enum RawFloat32 {
  /// Reads every float in the file, straight into the array (`TensorFile`); if `expectedCount`
  /// is given, the file must hold exactly that many.
  /// - Throws: ``RuntimeError/file(path:reason:)`` when it cannot be read, ``RuntimeError/format(_:)``
  ///   for a size that is not whole floats, ``RuntimeError/shape(_:)`` for the wrong count,
  ///   ``RuntimeError/limit(_:)`` for more than `Limits.maxTensorBytes`.
  public static func read(path: String, expectedCount: Int? = nil, limits: Limits = .machine) throws -> [Float] {
    let file = try TensorFile(path)
    guard file.size % 4 == 0 else {
      throw RuntimeError.format("\(path): raw float32 data has \(file.size) bytes, not a multiple of 4")
    }
    if let expectedCount, file.size / 4 != expectedCount {
      throw RuntimeError.shape("\(path): holds \(file.size / 4) floats, expected \(expectedCount)")
    }
    do { return try file.floats(file.size / 4, at: 0, limits: limits) } catch let error as RuntimeError { throw error.inFile(path) }
  }

  /// Writes `values` as little-endian float32.
  public static func write(_ values: [Float], path: String) throws {
    try FileBytes.write(encode(values), to: path)
  }

  /// Decodes little-endian float32 bytes; the length must be a multiple of 4.
  public static func decode(_ bytes: [UInt8]) throws -> [Float] {
    guard bytes.count % 4 == 0 else {
      throw RuntimeError.format("raw float32 data has \(bytes.count) bytes, not a multiple of 4")
    }
    let count = bytes.count / 4
    return bytes.withUnsafeBytes { raw in
      (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
  }

  /// Encodes `values` as little-endian float32 bytes.
  public static func encode(_ values: [Float]) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * 4)
    for v in values {
      let bits = v.bitPattern.littleEndian
      bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
    }
    return bytes
  }
}
