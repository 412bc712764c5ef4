/// Writes JSON text into a byte array. Floats are written in their shortest form that
/// reads back to the same float32 (`0.1`, not `0.10000000149011612`), so a client that
/// stores the numbers as float32 gets the server's values bit for bit.
public struct JSONWriter {
  public private(set) var bytes: [UInt8] = []

  public init() {}

  public mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

  public mutating func string(_ s: String) {
    bytes.append(UInt8(ascii: "\""))
    for c in s.utf8 {
      switch c {
      case UInt8(ascii: "\""): raw("\\\"")
      case UInt8(ascii: "\\"): raw("\\\\")
      case 0x0A: raw("\\n")
      case 0x0D: raw("\\r")
      case 0x09: raw("\\t")
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        raw("\\u00")
        bytes.append(hex[Int(c >> 4)])
        bytes.append(hex[Int(c & 15)])
      default: bytes.append(c)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// A float32; NaN and the infinities, which JSON cannot hold, are written as `null`.
  public mutating func float(_ x: Float) {
    guard x.isFinite else { return raw("null") }
    raw(x.description)
  }

  public mutating func int(_ x: Int) { raw(String(x)) }

  /// `[a, b, …]` of strings.
  public mutating func strings(_ items: [String]) {
    list(items) { $0.string($1) }
  }

  /// `[a, b, …]` of integers.
  public mutating func ints(_ items: [Int]) {
    list(items) { $0.int($1) }
  }

  /// `[a, b, …]` writing each element with `element`.
  public mutating func list<T>(_ items: some Sequence<T>, _ element: (inout JSONWriter, T) -> Void) {
    bytes.append(UInt8(ascii: "["))
    var first = true
    for item in items {
      if !first { bytes.append(UInt8(ascii: ",")) }
      first = false
      element(&self, item)
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// `{"k": …, …}`: `members` writes each member with ``member(_:_:)``.
  public mutating func object(_ members: (inout ObjectWriter) -> Void) {
    var writer = ObjectWriter(json: self)
    bytes = []
    writer.json.bytes.append(UInt8(ascii: "{"))
    members(&writer)
    writer.json.bytes.append(UInt8(ascii: "}"))
    self = writer.json
  }

  /// Any parsed value, written back (parameters echoed to the client).
  public mutating func value(_ v: JSONValue) {
    switch v {
    case .null: raw("null")
    case .bool(let b): raw(b ? "true" : "false")
    case .number(let x):
      if x.isFinite, x == x.rounded(), abs(x) < 1e15 { raw(String(Int(x))) } else if x.isFinite { raw(x.description) } else { raw("null") }
    case .string(let s): string(s)
    case .array(let items): list(items) { $0.value($1) }
    case .object(let members): object { o in for (k, v) in members { o.member(k) { $0.value(v) } } }
    }
  }

  /// Writes the members of one object, with the commas between them.
  public struct ObjectWriter {
    var json: JSONWriter
    private var count = 0

    init(json: JSONWriter) { self.json = json }

    public mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
      if count > 0 { json.bytes.append(UInt8(ascii: ",")) }
      count += 1
      json.string(key)
      json.bytes.append(UInt8(ascii: ":"))
      value(&json)
    }
  }
}
