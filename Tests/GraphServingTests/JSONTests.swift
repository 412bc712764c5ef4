import XCTest

@testable import GraphServing

final class JSONTests: XCTestCase {
  func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

  func failure(_ text: String) -> JSONParser.Failure? {
    do {
      _ = try parse(text)
      return nil
    } catch let f as JSONParser.Failure { return f } catch { return nil }
  }

  func testParsesTheProtocolsShapes() throws {
    let v = try parse(#" {"id": "42", "inputs": [{"shape": [2, 2], "data": [[1, -2.5], [3e2, 0]], "ok": true, "n": null}]} "#)
    XCTAssertEqual(v["id"], .string("42"))
    guard case .array(let inputs)? = v["inputs"] else { return XCTFail("inputs") }
    XCTAssertEqual(inputs[0]["shape"], .array([.number(2), .number(2)]))
    XCTAssertEqual(inputs[0]["data"], .array([.array([.number(1), .number(-2.5)]), .array([.number(300), .number(0)])]))
    XCTAssertEqual(inputs[0]["ok"], .bool(true))
    XCTAssertEqual(inputs[0]["n"], .null)
  }

  func testStringsDecodeEscapesAndSurrogatePairs() throws {
    XCTAssertEqual(try parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#), .string("a\"b\\c/d\né😀"))
    XCTAssertNotNil(failure(#""\ud83d""#), "an unpaired surrogate")
    XCTAssertNotNil(failure("\"a\u{01}\""), "a raw control character")
  }

  func testMalformedDocumentsNameTheByte() {
    XCTAssertEqual(failure(#"{"a": 1,}"#)?.offset, 8)
    XCTAssertEqual(failure("[1 2]")?.offset, 3)
    XCTAssertEqual(failure("[1, 2")?.reason, "expected ',' or ']' in an array")
    XCTAssertEqual(failure("01")?.offset, 1, "a leading zero is not JSON")
    XCTAssertNotNil(failure("+1"))
    XCTAssertNotNil(failure("0x10"))
    XCTAssertNotNil(failure("1."))
    XCTAssertNotNil(failure("NaN"))
    XCTAssertNotNil(failure(#"{"a" 1}"#))
    XCTAssertNotNil(failure(""))
    XCTAssertEqual(failure("tru")?.reason, "expected 'true'")
  }

  func testNestingIsBounded() {
    let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    XCTAssertEqual(failure(deep)?.reason, "nested deeper than \(JSONParser.maximumDepth) levels")
    XCTAssertNoThrow(try parse(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)))
  }

  /// A float32 written as the double it is (what a Python client sends) or in the writer's
  /// shortest form reads back to the same bits.
  func testFloat32RoundTripsBitForBit() throws {
    var rng = SystemRandomNumberGenerator()
    var floats: [Float] = [0, -0.0, 1, 0.1, -3.4028235e38, 1.1754944e-38, 1e-45, 123456.79]
    for _ in 0..<2000 { floats.append(Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &rng)) * (Bool.random() ? 1 : -1)) }
    var writer = JSONWriter()
    writer.list(floats) { $0.float($1) }
    let asDoubles = "[" + floats.map { Double($0).description }.joined(separator: ",") + "]"
    for text in [String(decoding: writer.bytes, as: UTF8.self), asDoubles] {
      guard case .array(let items) = try parse(text) else { return XCTFail("array") }
      for (item, f) in zip(items, floats) {
        guard case .number(let x) = item else { return XCTFail("number") }
        XCTAssertEqual(Float(x).bitPattern, f.bitPattern, "\(f) via \(text.prefix(40))")
      }
    }
  }

  func testWriterEscapesStringsAndEchoesValues() throws {
    var writer = JSONWriter()
    let value = JSONValue.object([("k\"\n", .string("tab\there\u{01}")), ("n", .number(42)), ("x", .number(0.5)), ("l", .array([.bool(false), .null]))])
    writer.value(value)
    XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), #"{"k\"\n":"tab\there\u0001","n":42,"x":0.5,"l":[false,null]}"#)
    XCTAssertEqual(try JSONParser.parse(writer.bytes), value)
  }
}
