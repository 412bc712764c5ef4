import XCTest
@testable import GraphRuntime

final class HeapFloatsTests: XCTestCase {
  /// Small buffers are 64-byte aligned; from 2 MiB up, 2 MiB aligned (whole huge pages), and
  /// every float of them is usable and freed.
  func testLargeBuffersStartOnHugePageBoundaries() {
    for count in [1, 1000, (1 << 19) - 1, 1 << 19, 3 << 19] {
      let buffer = allocateFloats(count)
      let alignment = count * 4 >= 1 << 21 ? 1 << 21 : 64
      XCTAssertEqual(Int(bitPattern: buffer) % alignment, 0, "\(count) floats")
      buffer.update(repeating: 1, count: count)
      XCTAssertEqual(buffer[count - 1], 1)
      buffer.deallocate()
    }
  }
}
