import KernelsGeneric
import KernelsHaswell
import TestSupport
import XCTest

@testable import GraphRuntime

/// Both micro-kernel modules against a naive tile, whichever one this CPU runs by default.
final class InstructionSetTests: XCTestCase {
  typealias Tile = (Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Bool) -> Void

  func check(_ name: String, _ tile: Tile, _ dot: (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float) {
    var rng = SeededRandom(seed: 21)
    for depth in [1, 7, 64, 257] {
      // The tile loads whole 64-byte vectors: its operands are aligned as SGEMM's packed buffers are.
      let a = rng.floats(depth * 6), bValues = rng.floats(depth * 16)
      let ldc = 32
      let cValues = rng.floats(6 * ldc)
      let b = aligned(bValues), c = aligned(cValues)
      defer { b.deallocate(); c.deallocate() }
      var expected = cValues
      for r in 0..<6 {
        for j in 0..<16 {
          var s: Float = 0
          for p in 0..<depth { s += a[p * 6 + r] * b[p * 16 + j] }
          expected[r * ldc + j] += s
        }
      }
      tile(depth, a, b, c, ldc, true)
      for i in 0..<cValues.count {
        XCTAssertEqual(c[i], expected[i], accuracy: 1e-4 * Float(depth).squareRoot(), "\(name) depth \(depth) at \(i)")
      }
      let x = rng.floats(depth), y = rng.floats(depth)
      let naive = zip(x, y).map(*).reduce(0, +)
      XCTAssertEqual(dot(x, y, depth), naive, accuracy: 1e-4 * Float(depth).squareRoot(), "\(name) dot \(depth)")
    }
  }

  func aligned(_ values: [Float]) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 64).bindMemory(to: Float.self, capacity: values.count)
    p.initialize(from: values, count: values.count)
    return p
  }

  func testGenericKernels() {
    check("generic", { KernelsGeneric.sgemmTile6x16(depth: $0, a: $1, b: $2, c: $3, ldc: $4, accumulate: $5) },
          { KernelsGeneric.dotProduct($0, $1, count: $2) })
  }

  func testHaswellKernelsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.current == .haswell, "this CPU has no AVX2+FMA (or GRAPHC_ISA=generic)")
    check("avx2+fma", { KernelsHaswell.sgemmTile6x16(depth: $0, a: $1, b: $2, c: $3, ldc: $4, accumulate: $5) },
          { KernelsHaswell.dotProduct($0, $1, count: $2) })
  }
}
