#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict RFC 8259 JSON parser over bytes; errors name the byte offset.
public struct JSONParser {
  /// Nesting deeper than this is refused (a tensor needs one level per dimension; the
  /// limit keeps a hostile `[[[[…` from exhausting the stack).
  public static let maximumDepth = 64

  /// Parses one JSON document that fills `bytes` (surrounding whitespace allowed).
  /// - Throws: ``JSONParser/Failure`` naming the offset and what was expected.
  public static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> JSONValue {
    var parser = JSONParser(bytes: bytes.bindMemory(to: UInt8.self))
    parser.skipWhitespace()
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.offset == parser.bytes.count else { throw parser.failure("unexpected data after the JSON value") }
    return value
  }

  /// Parses a document held in an array or string's UTF-8.
  public static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONValue {
    let copy = Array(bytes)
    let result = copy.withUnsafeBytes { raw in Result { () throws(Failure) in try parse(raw) } }
    return try result.get()
  }

  /// Malformed JSON: where, and what was wrong there.
  public struct Failure: Error, Equatable {
    public var offset: Int
    public var reason: String
    public var message: String { "malformed JSON at byte \(offset): \(reason)" }
  }

  private let bytes: UnsafeBufferPointer<UInt8>
  private var offset = 0

  private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  private func failure(_ reason: String) -> Failure { Failure(offset: offset, reason: reason) }

  private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

  private mutating func skipWhitespace() {
    while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { offset += 1 }
  }

  private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
    let count = literal.utf8CodeUnitCount
    guard offset + count <= bytes.count,
      (0..<count).allSatisfy({ bytes[offset + $0] == literal.utf8Start[$0] })
    else { throw failure("expected '\(literal)'") }
    offset += count
    return value
  }

  private mutating func value(depth: Int) throws(Failure) -> JSONValue {
    guard let c = current else { throw failure("unexpected end of input") }
    switch c {
    case UInt8(ascii: "{"): return try object(depth: depth + 1)
    case UInt8(ascii: "["): return try array(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): return try expect("true", .bool(true))
    case UInt8(ascii: "f"): return try expect("false", .bool(false))
    case UInt8(ascii: "n"): return try expect("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    default: throw failure("unexpected character '\(Character(Unicode.Scalar(c)))'")
    }
  }

  private mutating func array(depth: Int) throws(Failure) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
    offset += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      offset += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try value(depth: depth))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): offset += 1
      case UInt8(ascii: "]"):
        offset += 1
        return .array(elements)
      default: throw failure("expected ',' or ']' in an array")
      }
    }
  }

  private mutating func object(depth: Int) throws(Failure) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
    offset += 1
    var members: [(key: String, value: JSONValue)] = []
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      offset += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw failure("expected a string key in an object") }
      let key = try string()
      skipWhitespace()
      guard current == UInt8(ascii: ":") else { throw failure("expected ':' after an object key") }
      offset += 1
      skipWhitespace()
      members.append((key, try value(depth: depth)))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): offset += 1
      case UInt8(ascii: "}"):
        offset += 1
        return .object(members)
      default: throw failure("expected ',' or '}' in an object")
      }
    }
  }

  private mutating func string() throws(Failure) -> String {
    offset += 1
    var utf8: [UInt8] = []
    while true {
      guard let c = current else { throw failure("unterminated string") }
      offset += 1
      switch c {
      case UInt8(ascii: "\""):
        guard let s = String(validating: utf8, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
        return s
      case UInt8(ascii: "\\"):
        guard let e = current else { throw failure("unterminated string") }
        offset += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape())
        default: throw failure("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
        }
      case 0..<0x20: throw failure("control character in a string")
      default: utf8.append(c)
      }
    }
  }

  /// The UTF-8 of a `\uXXXX` escape (the `\u` already read), joining a surrogate pair.
  private mutating func unicodeEscape() throws(Failure) -> [UInt8] {
    var code = try hex4()
    if (0xD800..<0xDC00).contains(code) {
      guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
        throw failure("unpaired surrogate in a \\u escape")
      }
      offset += 2
      let low = try hex4()
      guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate in a \\u escape") }
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00..<0xE000).contains(code) {
      throw failure("unpaired surrogate in a \\u escape")
    }
    return Array(String(Character(Unicode.Scalar(code)!)).utf8)
  }

  private mutating func hex4() throws(Failure) -> UInt32 {
    guard offset + 4 <= bytes.count else { throw failure("truncated \\u escape") }
    var code: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[offset]
      let digit: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
      default: throw failure("invalid hex digit in a \\u escape")
      }
      code = code << 4 | UInt32(digit)
      offset += 1
    }
    return code
  }

  /// A number in JSON's grammar (checked here: strtod alone would also take hex, `inf`
  /// or a leading `+`), converted by strtod to the nearest double.
  private mutating func number() throws(Failure) -> Double {
    let start = offset
    if current == UInt8(ascii: "-") { offset += 1 }
    guard let first = current, isDigit(first) else { throw failure("expected a digit") }
    offset += 1
    var integral = first != UInt8(ascii: "0")
    if integral { while let c = current, isDigit(c) { offset += 1 } }
    if current == UInt8(ascii: ".") {
      integral = false
      offset += 1
      guard let c = current, isDigit(c) else { throw failure("expected a digit after '.'") }
      while let c = current, isDigit(c) { offset += 1 }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      integral = false
      offset += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
      guard let c = current, isDigit(c) else { throw failure("expected a digit in an exponent") }
      while let c = current, isDigit(c) { offset += 1 }
    }
    let length = offset - start
    // Small integers are exact without strtod (most integer tensors and every shape).
    if integral || (length == 1 && first == UInt8(ascii: "0")), length <= 16 {
      var value = 0
      for i in start..<offset where isDigit(bytes[i]) { value = value * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
      return bytes[start] == UInt8(ascii: "-") ? -Double(value) : Double(value)
    }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text in
      for i in 0..<length { text[i] = CChar(bitPattern: bytes[start + i]) }
      text[length] = 0
      return strtod(text.baseAddress!, nil)
    }
  }

  private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
