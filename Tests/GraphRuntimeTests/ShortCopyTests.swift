import XCTest
@testable import GraphRuntime

/// `Kernels.copyShort` / `zeroShort` against an element loop, at every length up to past the
/// memmove cut-off (scalar, two overlapping 4-lane, 8-lane with an overlapping tail, memmove),
/// leaving the floats around the run untouched.
final class ShortCopyTests: XCTestCase {
  func testEveryLengthCopiesAndZeroesExactlyItsRun() {
    let source = (0..<80).map { Float($0) + 0.5 }
    for count in 0...72 {
      var copied = [Float](repeating: -1, count: 80), zeroed = [Float](repeating: -1, count: 80)
      source.withUnsafeBufferPointer { src in
        copied.withUnsafeMutableBufferPointer { Kernels.copyShort(src.baseAddress! + 3, to: $0.baseAddress! + 2, count: count) }
      }
      zeroed.withUnsafeMutableBufferPointer { Kernels.zeroShort($0.baseAddress! + 2, count: count) }
      for i in 0..<80 {
        let inside = i >= 2 && i < 2 + count
        XCTAssertEqual(copied[i], inside ? source[i + 1] : -1, "copy of \(count), float \(i)")
        XCTAssertEqual(zeroed[i], inside ? 0 : -1, "zeroing of \(count), float \(i)")
      }
    }
  }
}
