import KernelsGeneric
import KernelsHaswell
import KernelsSkylakeX
import GraphPlan
import TestSupport
import XCTest
#if canImport(Glibc)
  import Glibc
#endif

@testable import GraphRuntime

/// Every micro-kernel module against naive arithmetic: the ones this CPU runs, each kernel
/// in the table's own module (a 12-row tile is checked in every module, where it is correct
/// but, on AVX2's 16 registers, slow).
final class InstructionSetTests: XCTestCase {
  /// Four rows' dot products with one y, the lanes split over two calls, then finished.
  typealias Dot4 = ([[Float]], [Float]) -> [Float]

  func check(
    _ name: String, tile6: @escaping KernelTable.Tile, tile6x8: KernelTable.Tile, tile12: @escaping KernelTable.Tile, tile12x32: KernelTable.Tile, _ dot4: Dot4,
    dot1: ([Float], [Float]) -> Float
  ) {
    var rng = SeededRandom(seed: 21)
    for depth in [1, 7, 64, 257] {
      for (rows, tile) in [(6, tile6), (12, tile12)] {
        // Panels of 6 rows, one after the other: element (r, p) at (r / 6) * depth * 6 + p * 6 + r % 6.
        // The tile loads whole 64-byte vectors: its operands are aligned as SGEMM's packed buffers are.
        let a = rng.floats(depth * rows), bValues = rng.floats(depth * 16)
        let ldc = 32
        let cValues = rng.floats(rows * ldc)
        let b = aligned(bValues), c = aligned(cValues)
        defer { b.deallocate(); c.deallocate() }
        var expected = cValues
        for r in 0..<rows {
          for j in 0..<16 {
            var s: Float = 0
            let panel = (r / 6) * depth * 6, row = r % 6
            for p in 0..<depth { s += a[panel + p * 6 + row] * b[p * 16 + j] }
            expected[r * ldc + j] += s
          }
        }
        tile(depth, a, b, c, ldc, true, nil, 0, 0, nil, 0)
        for i in 0..<cValues.count {
          XCTAssertEqual(c[i], expected[i], accuracy: 1e-4 * Float(depth).squareRoot(), "\(name) \(rows)x16 depth \(depth) at \(i)")
        }
      }
      // The 12 x 32 tile over two B panels (the second `depth * 16` floats after the first).
      do {
        let a = rng.floats(depth * 12), bValues = rng.floats(depth * 32)
        let ldc = 40
        let cValues = rng.floats(12 * ldc)
        let b = aligned(bValues), c = aligned(cValues)
        defer { b.deallocate(); c.deallocate() }
        var expected = cValues
        for r in 0..<12 {
          for j in 0..<32 {
            var s: Float = 0
            let panel = (r / 6) * depth * 6, row = r % 6, bPanel = (j / 16) * depth * 16
            for p in 0..<depth { s += a[panel + p * 6 + row] * bValues[bPanel + p * 16 + j % 16] }
            expected[r * ldc + j] += s
          }
        }
        tile12x32(depth, a, b, c, ldc, true, nil, 0, 0, nil, 0)
        for i in 0..<cValues.count {
          XCTAssertEqual(c[i], expected[i], accuracy: 1e-4 * Float(depth).squareRoot(), "\(name) 12x32 depth \(depth) at \(i)")
        }
      }
      // The 6 x 8 tile gives the 6 x 16 tile's first 8 columns bit for bit, and leaves the rest alone.
      for accumulate in [false, true] {
        let a = rng.floats(depth * 6), b = aligned(rng.floats(depth * 16)), cValues = rng.floats(6 * 24)
        let wide = aligned(cValues), narrow = aligned(cValues)
        defer { b.deallocate(); wide.deallocate(); narrow.deallocate() }
        tile6(depth, a, b, wide, 24, accumulate, nil, 0, 0, nil, 0)
        tile6x8(depth, a, b, narrow, 24, accumulate, nil, 0, 0, nil, 0)
        for r in 0..<6 {
          for j in 0..<24 {
            let expected = j < 8 ? wide[r * 24 + j] : cValues[r * 24 + j]
            XCTAssertEqual(narrow[r * 24 + j].bitPattern, expected.bitPattern, "\(name) 6x8 depth \(depth) (\(r), \(j)) accumulate \(accumulate)")
          }
        }
      }
      // Four rows against one y: each close to the naive sum, and bit-identical whichever rows share the call.
      let x = (0..<4).map { _ in rng.floats(depth) }, y = rng.floats(depth)
      let together = dot4(x, y)
      for r in 0..<4 {
        let naive = zip(x[r], y).map(*).reduce(0, +)
        XCTAssertEqual(together[r], naive, accuracy: 1e-4 * Float(depth).squareRoot(), "\(name) dot \(depth) row \(r)")
        let alone = dot4([x[r], x[r], x[r], x[r]], y)
        XCTAssertEqual(alone[0].bitPattern, together[r].bitPattern, "\(name) dot \(depth) row \(r) alone vs in a group")
        XCTAssertEqual(dot1(x[r], y).bitPattern, together[r].bitPattern, "\(name) dot \(depth) row \(r): one-row kernel")
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

  /// One row through a module's one-row lane kernel (in one call) and its finish kernel.
  func dot(
    _ x: [Float], _ y: [Float], _ lanes1: (UnsafePointer<Float>, UnsafePointer<Float>, Int, UnsafeMutablePointer<SIMD16<Float>>) -> Void,
    _ finish: (SIMD16<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float
  ) -> Float {
    let vector = y.count / 16 * 16
    var lanes = [SIMD16<Float>(), SIMD16<Float>()]
    lanes1(x, y, vector, &lanes)
    return x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in finish(lanes[0], x.baseAddress! + vector, y.baseAddress! + vector, y.count - vector) } }
  }

  func aligned(_ values: [Float]) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 64).bindMemory(to: Float.self, capacity: values.count)
    p.initialize(from: values, count: values.count)
    return p
  }

  func testGenericKernels() {
    check(
      "generic", tile6: KernelsGeneric.sgemmTile6x16, tile6x8: KernelsGeneric.sgemmTile6x8, tile12: KernelsGeneric.sgemmTile12x16,
      tile12x32: KernelsGeneric.sgemmTile12x32,
      { dots($0, $1, KernelsGeneric.dotProductLanes4, KernelsGeneric.dotProductFinish) },
      dot1: { dot($0, $1, KernelsGeneric.dotProductLanes1, KernelsGeneric.dotProductFinish) })
  }

  func testHaswellKernelsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.haswell.isSupported, "this CPU has no AVX2+FMA: the avx2+fma kernels are not run")
    check(
      "avx2+fma", tile6: KernelsHaswell.sgemmTile6x16, tile6x8: KernelsHaswell.sgemmTile6x8, tile12: KernelsHaswell.sgemmTile12x16,
      tile12x32: KernelsHaswell.sgemmTile12x32,
      { dots($0, $1, KernelsHaswell.dotProductLanes4, KernelsHaswell.dotProductFinish) },
      dot1: { dot($0, $1, KernelsHaswell.dotProductLanes1, KernelsHaswell.dotProductFinish) })
  }

  func testSkylakeXKernelsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.skylakeX.isSupported, "this CPU has no AVX-512F: the avx512 kernels are not run")
    check(
      "avx512", tile6: KernelsSkylakeX.sgemmTile6x16, tile6x8: KernelsSkylakeX.sgemmTile6x8, tile12: KernelsSkylakeX.sgemmTile12x16,
      tile12x32: KernelsSkylakeX.sgemmTile12x32,
      { dots($0, $1, KernelsSkylakeX.dotProductLanes4, KernelsSkylakeX.dotProductFinish) },
      dot1: { dot($0, $1, KernelsSkylakeX.dotProductLanes1, KernelsSkylakeX.dotProductFinish) })
  }

  /// Each module's tiles over B's rows in place (rows `ldb` floats apart, from any float) give
  /// the bits of the same tiles over those rows packed into panels, with and without the
  /// epilogue (bias, clamp, residual), accumulating or not.
  func testStridedTilesMatchPackedPanels() throws {
    typealias Forms = (String, KernelTable.Tile, KernelTable.StridedTile, rows: Int, columns: Int)
    let forms: [InstructionSet: [Forms]] = [
      .generic: [
        ("6x16", KernelsGeneric.sgemmTile6x16, KernelsGeneric.sgemmTile6x16Strided, 6, 16),
        ("12x16", KernelsGeneric.sgemmTile12x16, KernelsGeneric.sgemmTile12x16Strided, 12, 16),
        ("12x32", KernelsGeneric.sgemmTile12x32, KernelsGeneric.sgemmTile12x32Strided, 12, 32),
      ],
      .haswell: [
        ("6x16", KernelsHaswell.sgemmTile6x16, KernelsHaswell.sgemmTile6x16Strided, 6, 16),
        ("12x16", KernelsHaswell.sgemmTile12x16, KernelsHaswell.sgemmTile12x16Strided, 12, 16),
        ("12x32", KernelsHaswell.sgemmTile12x32, KernelsHaswell.sgemmTile12x32Strided, 12, 32),
      ],
      .skylakeX: [
        ("6x16", KernelsSkylakeX.sgemmTile6x16, KernelsSkylakeX.sgemmTile6x16Strided, 6, 16),
        ("12x16", KernelsSkylakeX.sgemmTile12x16, KernelsSkylakeX.sgemmTile12x16Strided, 12, 16),
        ("12x32", KernelsSkylakeX.sgemmTile12x32, KernelsSkylakeX.sgemmTile12x32Strided, 12, 32),
      ],
    ]
    var rng = SeededRandom(seed: 77)
    for set in InstructionSet.allCases {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) kernels: this CPU does not run them")
        continue
      }
      for (name, packedTile, stridedTile, rows, columns) in forms[set]! {
        for depth in [1, 5, 64, 300] {
          // B's rows 53 floats apart, the tile's columns from column 3 (no alignment at all).
          let ldb = 53, first = 3
          let bValues = rng.floats(depth * ldb), a = rng.floats(depth * rows), bias = rng.floats(rows)
          let ldc = 40, cValues = rng.floats(rows * ldc), residual = rng.floats(rows * ldc)
          // The same columns packed: panel q's row p at q * depth * 16 + p * 16.
          var packed = [Float](repeating: 0, count: depth * columns)
          for p in 0..<depth {
            for j in 0..<columns { packed[(j / 16) * depth * 16 + p * 16 + j % 16] = bValues[p * ldb + first + j] }
          }
          for (accumulate, withEpilogue) in [(false, false), (true, false), (false, true)] {
            var viaPanels = cValues, inPlace = cValues
            bValues.withUnsafeBufferPointer { b in
              bias.withUnsafeBufferPointer { bias in
                residual.withUnsafeBufferPointer { residual in
                  let rowBias = withEpilogue ? bias.baseAddress : nil
                  let (lower, upper): (Float, Float) = withEpilogue ? (0, .infinity) : (0, 0)
                  packedTile(depth, a, packed, &viaPanels, ldc, accumulate, rowBias, lower, upper, residual.baseAddress, ldc)
                  stridedTile(depth, a, b.baseAddress! + first, ldb, &inPlace, ldc, accumulate, rowBias, lower, upper, residual.baseAddress, ldc)
                }
              }
            }
            let what = "\(set.rawValue) \(name) depth \(depth) accumulate \(accumulate) epilogue \(withEpilogue)"
            XCTAssertEqual(inPlace.map(\.bitPattern), viaPanels.map(\.bitPattern), what)
            XCTAssertNotEqual(inPlace, cValues, "\(what): the tile wrote nothing")
          }
        }
      }
    }
  }

  /// Each module's clamped store row gives, element for element, the bits of the general
  /// store's arithmetic (`activation(alpha * acc + rowBias + colBias + residual)`, zeros for
  /// what is missing), for no clamp, ReLU and Clip, with NaN, signed zeros and tails.
  func testClampedStoreRowsMatchTheScalarStore() throws {
    typealias Row = (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Float, Float, UnsafePointer<Float>?, UnsafePointer<Float>?, Float, Float) -> Void
    let rows: [(InstructionSet, Row)] = [
      (.generic, KernelsGeneric.clampedStoreRow), (.haswell, KernelsHaswell.clampedStoreRow), (.skylakeX, KernelsSkylakeX.clampedStoreRow),
    ]
    var rng = SeededRandom(seed: 23)
    let specials: [Float] = [.nan, 0, -0.0, .infinity, -.infinity, 1e-40]
    for (set, row) in rows {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) store row: this CPU does not run it")
        continue
      }
      for count in [1, 15, 16, 17, 49, 64] {
        var src = rng.floats(count), colBias = rng.floats(count), residual = rng.floats(count)
        for i in stride(from: 0, to: count, by: 3) { src[i] = specials[i % specials.count] }
        colBias[0] = -0.0
        residual[count - 1] = .nan
        for activation in [Activation.none, .relu, .clip(min: -0.5, max: 0.25), .clip(min: 1, max: -1)] {
          for (alpha, rowBias, useColBias, useResidual) in [(Float(1), Float(0), false, false), (0.5, -0.25, true, true), (1, 0.75, false, true)] {
            let (lower, upper, other) = activation.clampBounds
            XCTAssertNil(other)
            var out = [Float](repeating: 7, count: count)
            colBias.withUnsafeBufferPointer { cb in
              residual.withUnsafeBufferPointer { res in
                row(src, count, &out, alpha, rowBias, useColBias ? cb.baseAddress! : nil, useResidual ? res.baseAddress! : nil, lower, upper)
              }
            }
            for j in 0..<count {
              let sum = alpha * src[j] + rowBias + (useColBias ? colBias[j] : 0) + (useResidual ? residual[j] : 0)
              let expected = activation.apply(sum)
              XCTAssertEqual(out[j].bitPattern, expected.bitPattern, "\(set.rawValue) \(activation) count \(count) at \(j): \(out[j]) vs \(expected)")
            }
          }
        }
      }
    }
  }

  /// Each module's Winograd transforms, both tile sizes, against the matrices written out:
  /// `Bᵀ d B` of every tile's input and `Aᵀ M A + bias` of every tile's products, over two
  /// SIMD groups of tiles (so the deinterleaving of columns across groups is covered).
  func testWinogradTransformsMatchTheMatrices() throws {
    typealias Transforms = (input: KernelTable.WinogradInput, output: KernelTable.WinogradOutput)
    let sets: [(InstructionSet, Winograd, Transforms)] = [
      (.generic, .f4x4, (KernelsGeneric.winogradInputTiles, KernelsGeneric.winogradOutputTiles)),
      (.generic, .f2x2, (KernelsGeneric.winograd2InputTiles, KernelsGeneric.winograd2OutputTiles)),
      (.haswell, .f4x4, (KernelsHaswell.winogradInputTiles, KernelsHaswell.winogradOutputTiles)),
      (.haswell, .f2x2, (KernelsHaswell.winograd2InputTiles, KernelsHaswell.winograd2OutputTiles)),
      (.skylakeX, .f4x4, (KernelsSkylakeX.winogradInputTiles, KernelsSkylakeX.winogradOutputTiles)),
      (.skylakeX, .f2x2, (KernelsSkylakeX.winograd2InputTiles, KernelsSkylakeX.winograd2OutputTiles)),
    ]
    // Bᵀ and Aᵀ of F(4x4, 3x3) for the points 0, 1, -1, ½, -2, ∞ (`Winograd.g`'s points).
    let bt4: [[Float]] = [
      [1, -1.5, -2, 1.5, 1, 0], [0, -1, 0.5, 2.5, 1, 0], [0, 1, -2.5, 0.5, 1, 0], [0, -2, -1, 2, 1, 0], [0, 0.5, -1, -0.5, 1, 0],
      [0, 1, -1.5, -2, 1.5, 1],
    ]
    let at4: [[Float]] = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 0.5, -2, 0], [0, 1, 1, 0.25, 4, 0], [0, 1, -1, 0.125, -8, 1]]
    let bt2: [[Float]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    let at2: [[Float]] = [[1, 1, 1, 0], [0, 1, -1, -1]]
    var rng = SeededRandom(seed: 27)
    let groups = 2, tiles = 8 * groups
    for (set, variant, transforms) in sets {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) Winograd transforms: this CPU does not run them")
        continue
      }
      let (bt, at) = variant == .f4x4 ? (bt4, at4) : (bt2, at2)
      let side = variant.inputTile, m = variant.outputTile, points = variant.points
      // Input: `side` rows, tile t at column m * t.
      let rowStride = m * tiles + 16, pointStride = tiles + 5
      let rows = rng.floats(side * rowStride)
      var v = [Float](repeating: .nan, count: points * pointStride)
      transforms.input(rows, rowStride, groups, &v, pointStride)
      for t in 0..<tiles {
        for i in 0..<side {
          for k in 0..<side {
            var sum: Float = 0
            for a in 0..<side {
              for b in 0..<side { sum += bt[i][a] * rows[a * rowStride + m * t + b] * bt[k][b] }
            }
            let got = v[(i * side + k) * pointStride + t]
            XCTAssertEqual(got, sum, accuracy: 1e-4, "\(set.rawValue) \(variant) input tile \(t) point (\(i), \(k))")
          }
        }
      }
      // Output: products per point, m rows of m * tiles columns.
      let products = rng.floats(points * pointStride)
      let outStride = m * tiles + 3
      var out = [Float](repeating: .nan, count: m * outStride)
      transforms.output(products, pointStride, groups, 0.25, &out, outStride)
      for t in 0..<tiles {
        for u in 0..<m {
          for x in 0..<m {
            var sum: Float = 0.25
            for i in 0..<side {
              for k in 0..<side { sum += at[u][i] * products[(i * side + k) * pointStride + t] * at[x][k] }
            }
            XCTAssertEqual(out[u * outStride + m * t + x], sum, accuracy: 1e-4, "\(set.rawValue) \(variant) output tile \(t) (\(u), \(x))")
          }
        }
      }
    }
  }

  /// Each module's im2col run gives the naive im2col matrix's entries (zeros in the padding),
  /// for every copy path: 16 lanes and shorter runs, strides 1 to 4, dilation, clipping.
  func testIm2ColRunsMatchTheNaiveMatrix() throws {
    typealias Run = (UnsafePointer<Float>, Int, Int, KernelsGeneric.WindowShape, Int, Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
    let runs: [(InstructionSet, Run)] = [
      (.generic, KernelsGeneric.im2colRun), (.haswell, KernelsHaswell.im2colRun), (.skylakeX, KernelsSkylakeX.im2colRun),
    ]
    var rng = SeededRandom(seed: 29)
    let (channels, inH, inW) = (2, 9, 80)
    let image = rng.floats(channels * inH * inW)
    // (kernel, stride, pad, dilation)
    for (k, stride, pad, dilation) in [(3, 1, 1, 1), (3, 2, 1, 1), (1, 2, 0, 1), (3, 3, 2, 1), (2, 1, 0, 2), (7, 2, 3, 1), (11, 4, 2, 1), (4, 4, 0, 1)] {
      let window = (k, k, stride, stride, pad, pad, dilation, dilation)
      let outW = (inW + 2 * pad - dilation * (k - 1) - 1) / stride + 1
      let depth = channels * k * k
      for (set, run) in runs {
        guard set.isSupported else {
          print("skipping the \(set.rawValue) im2col run: this CPU does not run it")
          continue
        }
        for (oy, ox, count) in [(0, 0, min(16, outW)), (1, 0, min(5, outW)), (2, max(0, outW - 7), min(7, outW)), (1, 3, min(16, outW - 3))] {
          // Rows 1... of the matrix (p0 = 1), as a K slice past the first would.
          var out = [Float](repeating: .nan, count: depth * 16)
          run(image, inH, inW, window, oy, ox, count, 1, depth - 1, &out)
          for p in 1..<depth {
            let c = p / (k * k), ky = (p % (k * k)) / k, kx = p % k
            for t in 0..<count {
              let iy = oy * stride - pad + ky * dilation, ix = (ox + t) * stride - pad + kx * dilation
              let expected = iy < 0 || iy >= inH || ix < 0 || ix >= inW ? 0 : image[(c * inH + iy) * inW + ix]
              XCTAssertEqual(out[(p - 1) * 16 + t], expected, "\(set.rawValue) k\(k) s\(stride) pad \(pad) d\(dilation) (\(oy), \(ox)) count \(count) row \(p) lane \(t)")
            }
          }
        }
      }
    }
  }

  /// Each module's row packing copies 16 floats of each strided row per panel, panels `depth * 16`
  /// floats apart.
  func testPackRows16CopiesEachRowOfEachPanel() throws {
    typealias Pack = (UnsafePointer<Float>, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
    let packs: [(InstructionSet, Pack)] = [
      (.generic, KernelsGeneric.packRows16), (.haswell, KernelsHaswell.packRows16), (.skylakeX, KernelsSkylakeX.packRows16),
    ]
    var rng = SeededRandom(seed: 31)
    let (rowStride, depth) = (53, 9)
    let source = rng.floats(rowStride * depth + 16)
    for (set, pack) in packs {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) row packing: this CPU does not run it")
        continue
      }
      for panels in 1...3 {
        var out = [Float](repeating: .nan, count: panels * depth * 16 + 1)
        pack(source, rowStride, depth, panels, &out)
        for q in 0..<panels {
          for p in 0..<depth {
            let at = q * depth * 16 + p * 16, from = p * rowStride + q * 16
            XCTAssertEqual(Array(out[at..<(at + 16)]), Array(source[from..<(from + 16)]), "\(set.rawValue) panel \(q) of \(panels), row \(p)")
          }
        }
        XCTAssertTrue(out[panels * depth * 16].isNaN, "\(set.rawValue) wrote past \(panels) panels")
      }
    }
  }

  /// The chosen set is the best one the CPU runs, and a cap in GRAPHC_ISA only lowers it.
  func testCurrentSetIsTheBestSupported() {
    XCTAssertTrue(InstructionSet.current.isSupported)
    if getenv("GRAPHC_ISA") == nil {
      XCTAssertEqual(InstructionSet.current, InstructionSet.allCases.first(where: \.isSupported))
    }
  }
}
