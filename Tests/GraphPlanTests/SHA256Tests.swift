import Foundation
import XCTest

@testable import GraphPlan

/// The hand-written SHA-256 against FIPS 180-4's published vectors, and across block boundaries.
final class SHA256Tests: XCTestCase {
  func testKnownVectors() {
    XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(
      SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    XCTAssertEqual(
      SHA256.hex(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    XCTAssertEqual(
      SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// Fed in pieces of every size from 1 to 130 bytes, the digest is the one-shot digest.
  func testPiecewiseUpdatesAgree() {
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    let whole = SHA256.hex(message)
    for piece in 1...130 {
      var hash = SHA256()
      var start = 0
      while start < message.count {
        hash.update(message[start..<min(start + piece, message.count)])
        start += piece
      }
      XCTAssertEqual(hash.finalize().map { String(format: "%02x", $0) }.joined(), whole, "pieces of \(piece)")
    }
  }
}
