import XCTest
@testable import GraphPlan

/// The packed weight order the compiler writes and the GEMM reads.
final class GemmPanelsTests: XCTestCase {
  /// Every element lands where the block/slice/panel arithmetic says, padding rows are zero,
  /// and the count covers exactly the packed floats; sizes cross every block boundary.
  func testPackingMatchesTheOffsets() {
    let (mr, kc, mc) = (GemmPanels.rowsPerPanel, GemmPanels.depthPerSlice, GemmPanels.rowsPerBlock)
    for (m, k) in [(1, 1), (6, 3), (7, 5), (100, 300), (mc, kc), (mc + 1, kc + 1), (2 * mc + 5, 2 * kc + 3)] {
      let a = (0..<(m * k)).map { Float($0 + 1) }
      let packed = a.withUnsafeBufferPointer { GemmPanels.pack($0, rows: m, depth: k) }
      XCTAssertEqual(packed.count, GemmPanels.count(rows: m, depth: k), "\(m)x\(k)")
      var seen = 0
      for i0 in stride(from: 0, to: m, by: mc) {
        let rows = min(mc, m - i0)
        for p0 in stride(from: 0, to: k, by: kc) {
          let depth = min(kc, k - p0)
          let start = GemmPanels.offset(rowBlockStart: i0, rows: rows, depth: k, sliceStart: p0)
          for panel in 0..<((rows + mr - 1) / mr) {
            for p in 0..<depth {
              for r in 0..<mr {
                let row = panel * mr + r
                let want: Float = row < rows ? a[(i0 + row) * k + p0 + p] : 0
                XCTAssertEqual(packed[start + (panel * depth + p) * mr + r], want, "\(m)x\(k) at row \(i0 + row), depth \(p0 + p)")
                seen += 1
              }
            }
          }
        }
      }
      XCTAssertEqual(seen, packed.count, "\(m)x\(k): every packed float is accounted for")
    }
  }

  /// Plans say how conv weights are laid out; validation holds the packed count to the geometry.
  func testPackedConvValidatesItsCount() throws {
    let g = Conv2DGeometry(inChannels: 4, inHeight: 5, inWidth: 5, outChannels: 10, kernelHeight: 3, kernelWidth: 3, groups: 2)
    XCTAssertEqual(g.packedWeightCount, 2 * GemmPanels.count(rows: 5, depth: 18))
    XCTAssertEqual(g.packedWeightCount, 2 * 6 * 18)
    XCTAssertFalse(g.runsDepthwise)
    let depthwise = Conv2DGeometry(inChannels: 4, inHeight: 5, inWidth: 5, outChannels: 4, kernelHeight: 3, kernelWidth: 3, groups: 4)
    XCTAssertTrue(depthwise.runsDepthwise)
  }
}

/// Crafted sizes that each pass the per-field range check but whose products overflow are
/// errors, never traps (validation must not multiply first and check later).
final class GeometryOverflowTests: XCTestCase {
  func testHugeConvAndPoolSizesAreErrors() {
    let big = (1 << 31) - 1
    let conv = Conv2DGeometry(inChannels: big, inHeight: big, inWidth: big, outChannels: big, kernelHeight: 1, kernelWidth: 1)
    XCTAssertThrowsError(try conv.validate()) { XCTAssertTrue("\($0)".contains("overflow"), "\($0)") }
    let wide = Conv2DGeometry(inChannels: 1 << 20, inHeight: 1, inWidth: 1, outChannels: 1 << 20, kernelHeight: 1, kernelWidth: 1)
    XCTAssertThrowsError(try wide.validate(), "2^40 weights are too many")
    let pool = Pool2DGeometry(
      channels: big, inHeight: big, inWidth: big, outHeight: big, outWidth: big, kernelHeight: 1, kernelWidth: 1)
    XCTAssertThrowsError(try pool.validate())
    XCTAssertNoThrow(try Conv2DGeometry(inChannels: 64, inHeight: 56, inWidth: 56, outChannels: 64, kernelHeight: 3, kernelWidth: 3).validate())
  }
}
