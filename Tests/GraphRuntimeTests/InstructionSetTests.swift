import KernelsGeneric
import KernelsHaswell
import TestSupport
import XCTest

@testable import GraphRuntime

/// Both micro-kernel modules against a naive tile, whichever one this CPU runs by default.
final class InstructionSetTests: XCTestCase {
  typealias Tile = (Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Bool) -> Void

  /// Four rows' dot products with one y, the lanes split over two calls, then finished.
  typealias Dot4 = ([[Float]], [Float]) -> [Float]

  func check(_ name: String, _ tile: Tile, _ dot4: Dot4) {
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
      // Four rows against one y: each close to the naive sum, and bit-identical whichever rows share the call.
      let x = (0..<4).map { _ in rng.floats(depth) }, y = rng.floats(depth)
      let together = dot4(x, y)
      for r in 0..<4 {
        let naive = zip(x[r], y).map(*).reduce(0, +)
        XCTAssertEqual(together[r], naive, accuracy: 1e-4 * Float(depth).squareRoot(), "\(name) dot \(depth) row \(r)")
        let alone = dot4([x[r], x[r], x[r], x[r]], y)
        XCTAssertEqual(alone[0].bitPattern, together[r].bitPattern, "\(name) dot \(depth) row \(r) alone vs in a group")
      }
    }
  }

  /// Runs a module's lane and finish kernels as the dense layer does: the vector part in two
  /// calls (16 floats, then the rest), then the tail.
  func dots(
    _ x: [[Float]], _ y: [Float],
    _ lanes4: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int,
      UnsafeMutablePointer<SIMD16<Float>>) -> Void,
    _ finish: (SIMD16<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float
  ) -> [Float] {
    let count = y.count, vector = count / 16 * 16
    var lanes = [SIMD16<Float>](repeating: SIMD16(), count: 4)
    return x[0].withUnsafeBufferPointer { x0 in
      x[1].withUnsafeBufferPointer { x1 in
        x[2].withUnsafeBufferPointer { x2 in
          x[3].withUnsafeBufferPointer { x3 in
            y.withUnsafeBufferPointer { y in
              let rows = [x0.baseAddress!, x1.baseAddress!, x2.baseAddress!, x3.baseAddress!]
              let first = min(16, vector)
              lanes4(rows[0], rows[1], rows[2], rows[3], y.baseAddress!, first, &lanes)
              lanes4(rows[0] + first, rows[1] + first, rows[2] + first, rows[3] + first, y.baseAddress! + first, vector - first, &lanes)
              return (0..<4).map { finish(lanes[$0], rows[$0] + vector, y.baseAddress! + vector, count - vector) }
            }
          }
        }
      }
    }
  }

  func aligned(_ values: [Float]) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 64).bindMemory(to: Float.self, capacity: values.count)
    p.initialize(from: values, count: values.count)
    return p
  }

  func testGenericKernels() {
    check("generic", { KernelsGeneric.sgemmTile6x16(depth: $0, a: $1, b: $2, c: $3, ldc: $4, accumulate: $5) },
          { dots($0, $1, KernelsGeneric.dotProductLanes4, KernelsGeneric.dotProductFinish) })
  }

  func testHaswellKernelsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.current == .haswell, "this CPU has no AVX2+FMA (or GRAPHC_ISA=generic)")
    check("avx2+fma", { KernelsHaswell.sgemmTile6x16(depth: $0, a: $1, b: $2, c: $3, ldc: $4, accumulate: $5) },
          { dots($0, $1, KernelsHaswell.dotProductLanes4, KernelsHaswell.dotProductFinish) })
  }
}
