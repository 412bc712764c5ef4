import GraphPlan

/// A dense array read from or written to a NumPy `.npy` file, held as float32.
public struct NPYArray: Sendable, Equatable {
  /// Dimensions, outermost first (C order). `[]` is a scalar.
  public var shape: [Int]
  /// Elements in C order, converted to float32.
  public var data: [Float]
  /// The dtype found in the file (`"<f4"`, `"<f8"`, `"<i8"`, ...); `"<f4"` when created in memory.
  public var sourceType: String

  /// NumPy's name for ``sourceType`` (`float64`, `int8`, ...), or the dtype itself if unknown.
  public var sourceTypeName: String { NPYElement(descr: sourceType)?.name ?? sourceType }

  /// Creates an array.
  /// - Parameters:
  ///   - shape: the dimensions, each zero or more (`[]` for a scalar).
  ///   - data: exactly the product of `shape` elements, in C order.
  ///   - sourceType: the dtype the values came from (``sourceType``); `"<f4"` for float32.
  /// - Throws: ``RuntimeError/shape(_:)`` when a dimension is negative or the count does not match.
  public init(shape: [Int], data: [Float], sourceType: String = "<f4") throws(RuntimeError) {
    do { try FloatTensor.check(shape: shape, count: data.count) } catch { throw RuntimeError(error) }
    self.shape = shape
    self.data = data
    self.sourceType = sourceType
  }
}

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Reads little-endian C-order arrays of `<f4` directly and converts float16, float64,
/// int8-int64, uint8-uint64 and bool to float32 (integers beyond 2^24 lose precision; see
/// ``NPYArray/sourceTypeName`` to tell the caller what was converted).
/// Anything else (big-endian, Fortran order, structured dtypes) is reported as a
/// ``RuntimeError`` naming what was found. Malformed files never trap.
/// Writes version 1.0 `<f4` files.
public enum NPY {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

  /// Reads an `.npy` file, converting its elements to float32. Only the header is read apart;
  /// the values go straight from the file into the array (`TensorFile`).
  /// - Parameters:
  ///   - path: the file.
  ///   - limits: the array's float32 bytes must be within `Limits.maxTensorBytes`.
  /// - Throws: ``RuntimeError/file(path:reason:)`` when it cannot be read, ``RuntimeError/format(_:)``,
  ///   ``RuntimeError/unsupported(_:)`` or ``RuntimeError/limit(_:)`` (message starting with the path) for its contents.
  public static func read(path: String, limits: Limits = .machine) throws -> NPYArray {
    let file = try TensorFile(path)
    do {
      let layout = try self.layout(of: file)
      let data = try file.floats(layout.count, of: layout.element, at: layout.dataStart, limits: limits)
      return try NPYArray(shape: layout.shape, data: data, sourceType: layout.descr)
    } catch let error as RuntimeError {
      throw error.inFile(path)
    }
  }

  /// Writes `array` as a version 1.0 `<f4` `.npy` file.
  public static func write(_ array: NPYArray, path: String) throws {
    try FileBytes.write(encode(array), to: path)
  }

  /// Parses the bytes of an `.npy` file.
  public static func decode(_ bytes: [UInt8]) throws -> NPYArray {
    let layout = try self.layout(bytes, fileSize: bytes.count)
    let count = layout.count, element = layout.element, dataStart = layout.dataStart
    let data = bytes.withUnsafeBytes { raw in
      [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        for i in 0..<count { buffer[i] = element.load(raw, at: dataStart + i * element.size) }
        initialized = count
      }
    }
    return try NPYArray(shape: layout.shape, data: data, sourceType: layout.descr)
  }

  /// Longest header read: NumPy itself reads at most 10,000 bytes unless told otherwise, and
  /// parsing a header of hundreds of megabytes would cost gigabytes.
  static let maxHeaderBytes = 1 << 16

  /// Where the header starts and how long it is, from the file's first 12 bytes (or all of a shorter file).
  static func headerExtent(_ bytes: [UInt8], fileSize: Int) throws -> (start: Int, length: Int) {
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw RuntimeError.format("not an .npy file (missing \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let extent: (start: Int, length: Int)
    switch major {
    case 1:
      extent = (10, Int(bytes[8]) | Int(bytes[9]) << 8)
    case 2, 3:
      guard bytes.count >= 12 else { throw RuntimeError.format(".npy header truncated") }
      extent = (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
    default:
      throw RuntimeError.unsupported("unsupported .npy format version \(major).\(bytes[7])")
    }
    guard extent.length <= fileSize - extent.start else {
      throw RuntimeError.format(".npy header length \(extent.length) runs past the end of the \(fileSize)-byte file")
    }
    guard extent.length <= maxHeaderBytes else {
      throw RuntimeError.format(".npy header length \(extent.length) is over the \(maxHeaderBytes)-byte limit for headers")
    }
    return extent
  }

  /// What an open `.npy` file holds and where its data starts: only its header is read.
  package static func layout(of file: TensorFile) throws -> (shape: [Int], descr: String, element: NPYElement, count: Int, dataStart: Int) {
    let extent = try headerExtent(try file.bytes(count: 12), fileSize: file.size)
    return try layout(try file.bytes(count: extent.start + extent.length), fileSize: file.size)
  }

  /// What an `.npy` file holds and where its data starts; `bytes` must cover the header.
  static func layout(_ bytes: [UInt8], fileSize: Int) throws -> (shape: [Int], descr: String, element: NPYElement, count: Int, dataStart: Int) {
    let (headerStart, headerLength) = try headerExtent(Array(bytes.prefix(12)), fileSize: fileSize)
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    let fields = try NPYHeader.parse(header)
    guard !fields.fortranOrder else {
      throw RuntimeError.unsupported(".npy array is in Fortran order; only C order is supported")
    }
    guard let element = NPYElement(descr: fields.descr) else {
      throw RuntimeError.unsupported(
        ".npy dtype '\(fields.descr)' is not supported (expected little-endian \(NPYElement.allCases.map(\.name).joined(separator: ", ")))")
    }
    var count = 1
    for d in fields.shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, d >= 0 else { throw RuntimeError.format(".npy shape \(fields.shape) is too large") }
      count = product
    }
    let dataStart = headerStart + headerLength
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: element.size)
    guard !overflow, byteCount <= fileSize - dataStart else {
      throw RuntimeError.format(
        ".npy data too short: shape \(fields.shape) of \(fields.descr) needs \(count) elements, file has \(fileSize - dataStart) bytes")
    }
    return (fields.shape, fields.descr, element, count, dataStart)
  }

  /// The bytes of a version 1.0 `<f4` `.npy` file holding `array`.
  public static func encode(_ array: NPYArray) -> [UInt8] {
    var bytes = header(descr: "<f4", shape: array.shape)
    bytes.reserveCapacity(bytes.count + array.data.count * 4)
    for v in array.data {
      let bits = v.bitPattern.littleEndian
      bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
    }
    return bytes
  }

  /// Writes a session's output as an `.npy` file of its own type (`<f4`, `|b1`, `<i8`, `<i4`).
  public static func write(_ tensor: TypedTensor, path: String) throws {
    try FileBytes.write(encode(tensor), to: path)
  }

  /// The bytes of a version 1.0 `.npy` file holding `tensor` as its own type.
  public static func encode(_ tensor: TypedTensor) -> [UInt8] {
    let descr: String
    switch tensor.elementType {
    case .float32: descr = "<f4"
    case .bool: descr = "|b1"
    case .int64: descr = "<i8"
    case .int32: descr = "<i4"
    }
    return header(descr: descr, shape: tensor.shape) + tensor.bytes  // the tensor's bytes are already little-endian
  }

  /// The magic, version 1.0, and the header dictionary padded so the data starts on a 64-byte boundary.
  private static func header(descr: String, shape: [Int]) -> [UInt8] {
    let dims = shape.map(String.init)
    let shapeText = dims.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    // Pad with spaces so the data starts on a 64-byte boundary; the header ends in '\n'.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes = magic + [1, 0]
    let length = header.utf8.count
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    return bytes
  }
}

/// The element types `.npy` reading accepts, with their conversion to float32.
package enum NPYElement: CaseIterable {
  case f4, f8, f2, i8, i4, i2, i1, u8, u4, u2, u1, b1

  init?(descr: String) {
    // One-byte types carry no byte order ('|'); '<' is accepted for them too, and '=' means
    // native order, which is little-endian on every platform this runs on.
    let order = descr.first, code = descr.dropFirst()
    guard let element = Self.allCases.first(where: { $0.code == code }),
      order == "<" || order == "=" || (order == "|" && element.size == 1)
    else { return nil }
    self = element
  }

  /// The dtype code without its byte order: `f4`, `i8`, `u1`...
  var code: String { "\(self)" }

  /// NumPy's name for the type, for messages: `float64`, `int8`, `bool`...
  package var name: String {
    switch self {
    case .f4: return "float32"
    case .f8: return "float64"
    case .f2: return "float16"
    case .i8: return "int64"
    case .i4: return "int32"
    case .i2: return "int16"
    case .i1: return "int8"
    case .u8: return "uint64"
    case .u4: return "uint32"
    case .u2: return "uint16"
    case .u1: return "uint8"
    case .b1: return "bool"
    }
  }

  var size: Int {
    switch self {
    case .f8, .i8, .u8: return 8
    case .f4, .i4, .u4: return 4
    case .f2, .i2, .u2: return 2
    case .i1, .u1, .b1: return 1
    }
  }

  @inline(__always)
  func load(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Float {
    func word<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    switch self {
    case .f4: return Float(bitPattern: word(UInt32.self))
    case .f8: return Float(Double(bitPattern: word(UInt64.self)))
    case .f2: return Self.half(word(UInt16.self))
    case .i8: return Float(word(Int64.self))
    case .i4: return Float(word(Int32.self))
    case .i2: return Float(word(Int16.self))
    case .i1: return Float(Int8(bitPattern: raw[offset]))
    case .u8: return Float(word(UInt64.self))
    case .u4: return Float(word(UInt32.self))
    case .u2: return Float(word(UInt16.self))
    case .u1: return Float(raw[offset])
    case .b1: return raw[offset] == 0 ? 0 : 1
    }
  }

  /// IEEE binary16 bits as a float32, exactly (subnormals, infinities and NaN included).
  /// Decoded by hand: `Float16` is not available on every platform Swift runs on.
  static func half(_ bits: UInt16) -> Float {
    let sign: Float = bits & 0x8000 == 0 ? 1 : -1
    let exponent = Int((bits >> 10) & 0x1F), fraction = Float(bits & 0x3FF)
    switch exponent {
    case 0: return sign * fraction * 0x1p-24
    case 31: return fraction == 0 ? sign * .infinity : .nan
    default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
  }
}
