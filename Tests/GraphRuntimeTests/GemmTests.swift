import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference
import KernelsGeneric
import KernelsHaswell
import KernelsSkylakeX

private typealias TileForms = KernelTable.TileForms

final class GemmTests: XCTestCase {
  func check(_ p: GemmParameters, _ e: EpilogueCase, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
    var rng = SeededRandom(seed: seed)
    let a = rng.floats(p.m * p.k), b = rng.floats(p.k * p.n)
    let bias = e.hasBias ? rng.floats(p.n) : nil
    let residual = e.hasResidual ? rng.floats(p.m * p.n) : nil
    var expected = [Float](repeating: 0, count: p.m * p.n)
    var fast1 = expected, fast2 = expected
    let pool = ThreadPool(threads: 2)
    withEpilogue(bias: bias, residual: residual, activation: e.activation) { epilogue in
      Reference.gemm(p, a: a, b: b, epilogue: epilogue, output: &expected)
      Kernels.gemm(p, a: a, b: b, epilogue: epilogue, output: &fast1)
      Kernels.gemm(p, a: a, b: b, epilogue: epilogue, output: &fast2, pool: pool)
    }
    assertClose(fast1, expected, atol: 1e-5 * Float(p.k), rtol: 1e-4, "\(p) \(e)", file: file, line: line)
    assertIdentical(fast2, fast1, "threads", file: file, line: line)
  }

  func testOddShapesAllLayouts() {
    var seed: UInt64 = 0
    for (m, n, k) in [(1, 10, 37), (3, 1, 5), (5, 7, 3), (7, 33, 17), (13, 17, 300), (1, 1, 1)] {
      for transA in [false, true] {
        for transB in [false, true] {
          for e in EpilogueCase.allCases {
            seed += 1
            check(GemmParameters(m: m, n: n, k: k, alpha: seed % 2 == 0 ? 1 : 0.5, transA: transA, transB: transB), e, seed: seed)
          }
        }
      }
    }
  }

  func testLargeCrossesAllBlocks() {
    check(GemmParameters(m: 97, n: 300, k: 513, transB: true), .all, seed: 100)
    check(GemmParameters(m: 100, n: 259, k: 257), .biasRelu, seed: 101)
  }

  /// A dense layer's output for one item is the same bits at any batch (a server batches
  /// requests together; each must get what it would get alone), across several row passes.
  func testDenseRowsDoNotDependOnTheBatch() {
    for k in [300, 1 << 15] {
      let p = GemmParameters(m: 9, n: 37, k: k, transB: true)
      var rng = SeededRandom(seed: UInt64(k))
      let a = rng.floats(p.m * p.k), b = rng.floats(p.n * p.k), bias = rng.floats(p.n)
      var batched = [Float](repeating: 0, count: p.m * p.n)
      bias.withUnsafeBufferPointer { bias in
        let epilogue = Epilogue(bias: bias.baseAddress, activation: .relu)
        Kernels.gemm(p, a: a, b: b, epilogue: epilogue, output: &batched, pool: ThreadPool(threads: 2))
        for i in 0..<p.m {
          var alone = [Float](repeating: 0, count: p.n)
          let one = GemmParameters(m: 1, n: p.n, k: p.k, transB: true)
          Kernels.gemm(one, a: Array(a[(i * p.k)..<((i + 1) * p.k)]), b: b, epilogue: epilogue, output: &alone)
          assertIdentical(Array(batched[(i * p.n)..<((i + 1) * p.n)]), alone, "k \(k) row \(i)")
        }
      }
    }
  }

  /// A dense layer may write its output over its residual (C is never scratch): the same bits as
  /// into a separate buffer, for one row (four weight streams from K = 2048, one below), a few
  /// rows, and several row passes.
  func testDenseOutputMayBeItsResidual() {
    for (m, k) in [(1, 300), (1, 4096), (3, 2048), (9, 300)] {
      let p = GemmParameters(m: m, n: 37, k: k, transB: true)
      var rng = SeededRandom(seed: UInt64(m * k))
      let a = rng.floats(p.m * p.k), b = rng.floats(p.n * p.k), bias = rng.floats(p.n), residual = rng.floats(p.m * p.n)
      var separate = [Float](repeating: 0, count: p.m * p.n)
      var inPlace = residual
      let pool = ThreadPool(threads: 2)
      bias.withUnsafeBufferPointer { bias in
        residual.withUnsafeBufferPointer { residual in
          let epilogue = Epilogue(bias: bias.baseAddress, residual: residual.baseAddress, activation: .relu)
          Kernels.gemm(p, a: a, b: b, epilogue: epilogue, output: &separate, pool: pool)
        }
        inPlace.withUnsafeMutableBufferPointer { both in
          let epilogue = Epilogue(bias: bias.baseAddress, residual: UnsafePointer(both.baseAddress), activation: .relu)
          Kernels.gemm(p, a: a, b: b, epilogue: epilogue, output: both.baseAddress!, pool: pool)
        }
      }
      assertIdentical(inPlace, separate, "m \(m) k \(k)")
    }
  }

  /// The four-stream dot products a batch-1 dense layer runs give, on every module this CPU
  /// supports, each weight row's lanes bit for bit as the one-row kernel does, and leave the
  /// lanes between theirs alone.
  func testFourWeightRowsGiveOneRowsLanes() {
    let k = 16 * 37, yStride = k + 5, laneStride = 3
    var rng = SeededRandom(seed: 77)
    let x = rng.floats(k), y = rng.floats(4 * yStride), start = rng.floats(16 * 4 * laneStride)
    for set in InstructionSet.allCases {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) kernels: this CPU does not run them")
        continue
      }
      let table = set.kernels
      var four = start, one = start
      x.withUnsafeBufferPointer { x in
        y.withUnsafeBufferPointer { y in
          four.withUnsafeMutableBytes { raw in
            let lanes = raw.bindMemory(to: SIMD16<Float>.self).baseAddress!
            table.dotColumns4(x.baseAddress!, y.baseAddress!, yStride, k, lanes, laneStride)
          }
          one.withUnsafeMutableBytes { raw in
            let lanes = raw.bindMemory(to: SIMD16<Float>.self).baseAddress!
            for c in 0..<4 { table.dotLanes1(x.baseAddress!, y.baseAddress! + c * yStride, k, lanes + c * laneStride) }
          }
        }
      }
      assertIdentical(four, one, "\(set.rawValue): four weight rows against one at a time")
      XCTAssertNotEqual(four, start, "\(set.rawValue): the lanes were summed into")
    }
  }

  /// A dense layer with a matrix per item (`[batch, H, W, K]`) runs through SGEMM: close to the
  /// reference, and each item's rows the same bits alone as in the batch, at 1 and 2 threads.
  func testMatrixPerItemDoesNotDependOnTheBatch() {
    let items = 3, rows = 50, n = 70, k = 300
    XCTAssertGreaterThanOrEqual(rows, Kernels.matrixRows)
    let p = GemmParameters(m: items * rows, n: n, k: k, transB: true)
    var rng = SeededRandom(seed: 7)
    let a = rng.floats(p.m * k), b = rng.floats(n * k), bias = rng.floats(n)
    var expected = [Float](repeating: 0, count: p.m * n)
    var batched = expected
    bias.withUnsafeBufferPointer { bias in
      let epilogue = Epilogue(bias: bias.baseAddress, activation: .relu)
      Reference.gemm(p, a: a, b: b, epilogue: epilogue, output: &expected)
      Kernels.gemm(p, a: a, b: b, epilogue: epilogue, output: &batched, pool: ThreadPool(threads: 2), rowsPerItem: rows)
      for i in 0..<items {
        var alone = [Float](repeating: 0, count: rows * n)
        let one = GemmParameters(m: rows, n: n, k: k, transB: true)
        Kernels.gemm(one, a: Array(a[(i * rows * k)..<((i + 1) * rows * k)]), b: b, epilogue: epilogue, output: &alone, rowsPerItem: rows)
        assertIdentical(Array(batched[(i * rows * n)..<((i + 1) * rows * n)]), alone, "item \(i)")
      }
    }
    assertClose(batched, expected, atol: 1e-5 * Float(k), rtol: 1e-4, "matrix per item vs reference")
  }

  /// SGEMM with a 12-row tile (two A panels per call, as on AVX-512) gives the same bits as
  /// with the 6-row tile alone, for A packed per block and A packed by the compiler. Run
  /// with each module this CPU supports (on AVX2 the 12-row tile is slow, not wrong).
  func testTwelveRowTileMatchesSixRowTile() throws {
    let tiles12: [InstructionSet: KernelTable.TileForms] = [
      .generic: TileForms(packed: KernelsGeneric.sgemmTile12x16, strided: KernelsGeneric.sgemmTile12x16Strided),
      .haswell: TileForms(packed: KernelsHaswell.sgemmTile12x16, strided: KernelsHaswell.sgemmTile12x16Strided),
      .skylakeX: TileForms(packed: KernelsSkylakeX.sgemmTile12x16, strided: KernelsSkylakeX.sgemmTile12x16Strided),
    ]
    // 17 panels: 8 pairs and one single, several K slices.
    assertPathsAgree(m: 97, n: 300, k: 513, seed: 300, "12-row tile vs 6-row tile") { set, table in
      var sixRows = table, twelveRows = table
      sixRows.tile12 = nil
      sixRows.tile12x32 = nil
      twelveRows.tile12x32 = nil
      twelveRows.tile12 = tiles12[set]
      return [sixRows, twelveRows]
    }
  }

  /// SGEMM with the 12 x 32 tile (two B panels per call) gives the bits of the 12-row tile
  /// alone: full pairs, a pair whose second panel is partial (n = 30), a pair followed by a
  /// narrow panel (n = 40), an odd panel left over (n = 300), and a leftover single A panel
  /// (97 rows). Run with each module this CPU supports.
  func testWideTileMatchesTwelveRowTile() throws {
    let wideTiles: [InstructionSet: KernelTable.TileForms] = [
      .generic: TileForms(packed: KernelsGeneric.sgemmTile12x32, strided: KernelsGeneric.sgemmTile12x32Strided),
      .haswell: TileForms(packed: KernelsHaswell.sgemmTile12x32, strided: KernelsHaswell.sgemmTile12x32Strided),
      .skylakeX: TileForms(packed: KernelsSkylakeX.sgemmTile12x32, strided: KernelsSkylakeX.sgemmTile12x32Strided),
    ]
    let tiles12: [InstructionSet: KernelTable.TileForms] = [
      .generic: TileForms(packed: KernelsGeneric.sgemmTile12x16, strided: KernelsGeneric.sgemmTile12x16Strided),
      .haswell: TileForms(packed: KernelsHaswell.sgemmTile12x16, strided: KernelsHaswell.sgemmTile12x16Strided),
      .skylakeX: TileForms(packed: KernelsSkylakeX.sgemmTile12x16, strided: KernelsSkylakeX.sgemmTile12x16Strided),
    ]
    for n in [300, 30, 40, 64, 49] {
      assertPathsAgree(m: 97, n: n, k: 513, seed: 330 + UInt64(n), "n = \(n): 12 x 32 tile vs 12 x 16 tile") { set, table in
        var narrow = table, wide = table
        narrow.tile12 = tiles12[set]
        narrow.tile12x32 = nil
        wide.tile12 = tiles12[set]
        wide.tile12x32 = wideTiles[set]
        return [narrow, wide]
      }
    }
  }

  /// A last B panel of 1 or 2 columns (a 7x7 plane: 49 = 3 x 16 + 1) goes through the narrow
  /// tiles, which must give the bits of the half-width tiles; 97 rows leave panels over for them.
  func testNarrowTilesMatchHalfWidthTiles() throws {
    for n in [49, 50, 17, 2, 1] {
      assertPathsAgree(m: 97, n: n, k: 513, seed: 310 + UInt64(n), "n = \(n): narrow tiles vs 6 x 8 tiles") { _, table in
        var halfWidth = table
        halfWidth.narrowTiles = { _, _, _, _, _, _, _, _ in 0 }
        return [halfWidth, table]
      }
    }
  }

  /// Runs SGEMM (relu epilogue, 2 threads) with each kernel table `variants` makes from each
  /// module this CPU supports, for A packed per block and A packed by the compiler: all give
  /// the first one's bits, and the reference's values.
  private func assertPathsAgree(
    m: Int, n: Int, k: Int, seed: UInt64, _ what: String, variants: (InstructionSet, KernelTable) -> [KernelTable]
  ) {
    var rng = SeededRandom(seed: seed)
    let a = rng.floats(m * k), b = rng.floats(k * n)
    let panels = a.withUnsafeBufferPointer { GemmPanels.pack($0, rows: m, depth: k) }
    var expected = [Float](repeating: 0, count: m * n)
    Reference.gemm(GemmParameters(m: m, n: n, k: k), a: a, b: b, epilogue: Epilogue(activation: .relu), output: &expected)
    for set in InstructionSet.allCases {
      let name = set.rawValue
      guard set.isSupported else {
        print("skipping the \(name) kernels: this CPU does not run them")
        continue
      }
      for left in ["matrix", "panels"] {
        var results: [[Float]] = []
        for kernels in variants(set, set.kernels) {
          var c = [Float](repeating: 0, count: m * n)
          a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
              panels.withUnsafeBufferPointer { panels in
                c.withUnsafeMutableBufferPointer { c in
                  let left: GemmLeft = left == "matrix" ? .matrix(.rowMajor(a.baseAddress!, columns: k)) : .panels(panels.baseAddress!)
                  SGEMM.run(
                    m: m, n: n, k: k, a: left, b: .matrix(.rowMajor(b.baseAddress!, columns: n)),
                    store: GemmStore(c: c.baseAddress!, ldc: n, activation: .relu), pool: ThreadPool(threads: 2), kernels: kernels)
                }
              }
            }
          }
          results.append(c)
        }
        for result in results.dropFirst() { assertIdentical(result, results[0], "\(name) \(left): \(what)") }
        assertClose(results.last!, expected, atol: 1e-5 * Float(k), rtol: 1e-4, "\(name) \(left) vs reference")
      }
    }
  }

  /// Tasks keep a column block's rows together (B packed once per slice) and split rows only
  /// when columns alone leave too few tasks for the threads.
  func testTaskSplit() {
    let wide = SGEMM.Split(m: 256, n: 729, threads: 1)
    XCTAssertEqual([wide.width, wide.columnBlocks, wide.rowBlocksPerTask, wide.rowGroups], [256, 3, 3, 1])
    let narrow = SGEMM.Split(m: 512, n: 49, threads: 2)
    XCTAssertEqual([narrow.columnBlocks, narrow.rowBlocksPerTask, narrow.rowGroups], [1, 1, 6])
    let tall = SGEMM.Split(m: 1000, n: 2000, threads: 1)
    XCTAssertEqual([tall.rowBlocksPerTask, tall.rowGroups], [6, 2])
    // Both shapes of task, against the reference at 1 and 2 threads.
    check(GemmParameters(m: 700, n: 50, k: 300), .all, seed: 400)
    check(GemmParameters(m: 1000, n: 40, k: 20, transA: true), .biasRelu, seed: 401)
  }

  /// Where the rows are split, a column block's row groups are consecutive tasks: a thread's
  /// share of the tasks is then whole column blocks (its output pixels, and the shared B panels
  /// its share of the packing wrote), not a row group across every column.
  func testTasksGoColumnBlockByColumnBlock() {
    // 256 rows are three 96-row blocks; on 2 threads they go in two groups (rows 0 and 192).
    let split = SGEMM.Split(m: 256, n: 196, threads: 2)
    XCTAssertEqual(split.rowGroups, 2, "256 x 196 on 2 threads splits its rows in two")
    XCTAssertTrue(split.origin(of: 0) == (0, 0))
    XCTAssertTrue(split.origin(of: 1) == (192, 0), "the second task is the first block's second row group")
    XCTAssertTrue(split.origin(of: 2) == (0, split.width), "then the second column block")
    XCTAssertTrue(split.origin(of: 3) == (192, split.width))
  }

  /// With few tasks, the split is the one that leaves the threads least idle: 49 panels in
  /// blocks of 6 (9 tasks, not 7 of 7); a 7x7 map's 4 panels in 2 blocks of 2 when 128 rows
  /// make a 96-row task and a 32-row one. Never worse than the widest split, for any shape,
  /// and the same bits at 1, 2 and 3 threads.
  func testSplitBalancesFewTasks() {
    let wide = SGEMM.Split(m: 96, n: 784, threads: 2)
    XCTAssertEqual([wide.width, wide.columnBlocks, wide.rowGroups], [96, 9, 1])
    XCTAssertEqual(wide.finishTime(threads: 2), 16 * (4 * (96 + 8) + 16 + 8))  // 4 tasks and the last, 16 columns
    XCTAssertEqual(SGEMM.Split(m: 96, n: 784, threads: 2, balancing: false).columnBlocks, 7)
    let small = SGEMM.Split(m: 128, n: 49, threads: 2)
    XCTAssertEqual([small.width, small.columnBlocks, small.rowGroups], [32, 2, 2])
    XCTAssertLessThan(small.finishTime(threads: 2), SGEMM.Split(m: 128, n: 49, threads: 2, balancing: false).finishTime(threads: 2) * 9 / 10)
    for m in [1, 6, 64, 96, 128, 200, 512, 1000] {
      for n in [1, 16, 49, 100, 196, 784, 3136] {
        for threads in [2, 3, 4] {
          let balanced = SGEMM.Split(m: m, n: n, threads: threads), widest = SGEMM.Split(m: m, n: n, threads: threads, balancing: false)
          XCTAssertLessThanOrEqual(balanced.finishTime(threads: threads), widest.finishTime(threads: threads), "\(m) x \(n), \(threads) threads")
          XCTAssertLessThanOrEqual(balanced.width, SGEMM.nc)
        }
      }
    }
    for (m, n, k) in [(96, 784, 40), (128, 49, 70)] {
      var rng = SeededRandom(seed: 420 + UInt64(n))
      let p = GemmParameters(m: m, n: n, k: k)
      let a = rng.floats(m * k), b = rng.floats(k * n)
      var expected = [Float](repeating: 0, count: m * n)
      Reference.gemm(p, a: a, b: b, epilogue: Epilogue(activation: .relu), output: &expected)
      let results = [1, 2, 3].map { threads in
        var out = [Float](repeating: 0, count: m * n)
        Kernels.gemm(p, a: a, b: b, epilogue: Epilogue(activation: .relu), output: &out, pool: threads > 1 ? ThreadPool(threads: threads) : nil)
        return out
      }
      assertClose(results[0], expected, atol: 1e-5 * Float(k), rtol: 1e-4, "\(p)")
      for result in results.dropFirst() { assertIdentical(result, results[0], "\(p): threads") }
    }
  }

  func testZeroDepthGivesEpilogueOnly() {
    let p = GemmParameters(m: 2, n: 3, k: 0)
    var out = [Float](repeating: 9, count: 6)
    let bias: [Float] = [1, -2, 3]
    bias.withUnsafeBufferPointer { b in
      Kernels.gemm(p, a: [0], b: [0], epilogue: Epilogue(bias: b.baseAddress, activation: .relu), output: &out)
    }
    XCTAssertEqual(out, [1, 0, 3, 1, 0, 3])
  }

  func testReferenceGemmAddendBroadcastByHand() {
    // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]] -> AB = [[19, 22], [43, 50]].
    let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
    let p = GemmParameters(m: 2, n: 2, k: 2, alpha: 1, beta: 2)
    func run(_ c: [Float], _ make: (UnsafePointer<Float>) -> GemmAddend) -> [Float] {
      var out = [Float](repeating: 0, count: 4)
      c.withUnsafeBufferPointer { Reference.gemm(p, a: a, b: b, c: make($0.baseAddress!), output: &out) }
      return out
    }
    XCTAssertEqual(run([1]) { .scalar($0) }, [21, 24, 45, 52])
    XCTAssertEqual(run([1, 10]) { .row($0) }, [21, 42, 45, 70])
    XCTAssertEqual(run([1, 10]) { .column($0) }, [21, 24, 63, 70])
    XCTAssertEqual(run([1, 2, 3, 4]) { .full($0) }, [21, 26, 49, 58])
    var t = [Float](repeating: 0, count: 4)
    Reference.gemm(GemmParameters(m: 2, n: 2, k: 2, alpha: 0.5, transA: true, transB: true), a: a, b: b, output: &t)
    // A^T B^T = [[1, 3], [2, 4]] * [[5, 7], [6, 8]] = [[23, 31], [34, 46]].
    XCTAssertEqual(t, [11.5, 15.5, 17, 23])
  }

  func testMatMulByHandAndBroadcast() throws {
    let a: [Float] = [1, 2, 3, 4, 5, 6]  // [2, 3]
    let b: [Float] = [1, 0, 0, 1, 1, 1]  // [3, 2]
    var out = [Float](repeating: 0, count: 4)
    XCTAssertEqual(try Reference.matmul(a: a, aShape: [2, 3], b: b, bShape: [3, 2], output: &out), [2, 2])
    XCTAssertEqual(out, [4, 5, 10, 11])
    // Vector cases drop the promoted dimension.
    var v = [Float](repeating: 0, count: 2)
    XCTAssertEqual(try Reference.matmul(a: [1, 1, 1], aShape: [3], b: b, bShape: [3, 2], output: &v), [2])
    XCTAssertEqual(v, [2, 2])
    XCTAssertEqual(try Reference.matmulShape([2, 3], [3]), [2])
    XCTAssertThrowsError(try Reference.matmulShape([2, 3], [2, 3]))
    // Batch broadcasting: [2, 1, 2, 3] x [3, 3, 2] -> [2, 3, 2, 2].
    var rng = SeededRandom(seed: 5)
    let x = rng.floats(12), y = rng.floats(18)
    var z = [Float](repeating: 0, count: 24)
    XCTAssertEqual(try Reference.matmul(a: x, aShape: [2, 1, 2, 3], b: y, bShape: [3, 3, 2], output: &z), [2, 3, 2, 2])
    for i in 0..<2 {
      for j in 0..<3 {
        for r in 0..<2 {
          for c in 0..<2 {
            var s: Float = 0
            for l in 0..<3 { s += x[i * 6 + r * 3 + l] * y[j * 6 + l * 2 + c] }
            XCTAssertEqual(z[((i * 3 + j) * 2 + r) * 2 + c], s, accuracy: 1e-6)
          }
        }
      }
    }
  }

  /// Tiles that store through the epilogue themselves (a bias per row and a clamp, then any
  /// other activation over the block; one K slice or several) give the bits of the store from the
  /// accumulator, with C filled with NaN first so any element left unwritten shows: rows and
  /// columns that leave partial tiles, a last panel of 1 column (the narrow tiles' case),
  /// images side by side whose tiles straddle two of them, with and without the 12-row and
  /// 12 x 32 tiles. Run with each module this CPU supports.
  func testTilesStoreAsTheAccumulatorDoes() {
    let pool = ThreadPool(threads: 2)
    let shapes: [(m: Int, n: Int, k: Int, perImage: Int)] = [
      (25, 100, 70, .max), (13, 147, 64, 49), (6, 16, 1, .max), (19, 98, 256, 49), (31, 17, 30, .max), (12, 33, 40, .max),
      (13, 60, 300, 20), (7, 40, 520, .max),
      // Rows of C whole vectors apart, where the tiles take a residual too.
      (19, 64, 70, .max), (13, 96, 64, 32), (25, 160, 200, .max), (7, 48, 520, .max), (12, 128, 256, 64),
    ]
    // The residual: none, its own buffer, or C itself (a conv writing over its residual, which the
    // tiles take only when K is one slice).
    enum Residual: CaseIterable { case none, separate, inPlace }
    let epilogues: [(Activation, bias: Bool)] = [(.none, false), (.none, true), (.relu, true), (.clip(min: -0.5, max: 0.5), false), (.silu, true)]
    let tiles12: [InstructionSet: (TileForms, TileForms)] = [
      .generic: (
        TileForms(packed: KernelsGeneric.sgemmTile12x16, strided: KernelsGeneric.sgemmTile12x16Strided),
        TileForms(packed: KernelsGeneric.sgemmTile12x32, strided: KernelsGeneric.sgemmTile12x32Strided)
      ),
      .haswell: (
        TileForms(packed: KernelsHaswell.sgemmTile12x16, strided: KernelsHaswell.sgemmTile12x16Strided),
        TileForms(packed: KernelsHaswell.sgemmTile12x32, strided: KernelsHaswell.sgemmTile12x32Strided)
      ),
      .skylakeX: (
        TileForms(packed: KernelsSkylakeX.sgemmTile12x16, strided: KernelsSkylakeX.sgemmTile12x16Strided),
        TileForms(packed: KernelsSkylakeX.sgemmTile12x32, strided: KernelsSkylakeX.sgemmTile12x32Strided)
      ),
    ]
    for set in InstructionSet.allCases {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) kernels: this CPU does not run them")
        continue
      }
      var twelveRows = set.kernels
      (twelveRows.tile12, twelveRows.tile12x32) = tiles12[set]!
      for (m, n, k, perImage) in shapes {
        var rng = SeededRandom(seed: UInt64(m * 1000 + n))
        let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(m), residualValues = rng.floats(m * n)
        for (activation, withBias) in epilogues {
          for kernels in [set.kernels, twelveRows] {
           for residual in Residual.allCases {
            var results: [[Float]] = []
            for fromTiles in [false, true] {
              var c = residual == .inPlace ? residualValues : [Float](repeating: .nan, count: m * n)
              a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                  bias.withUnsafeBufferPointer { bias in
                   residualValues.withUnsafeBufferPointer { residualValues in
                    c.withUnsafeMutableBufferPointer { c in
                      var store = GemmStore(c: c.baseAddress!, ldc: perImage == .max ? n : perImage, activation: activation)
                      store.rowBias = withBias ? bias.baseAddress! : nil
                      store.columnsPerImage = perImage
                      store.imageStride = perImage == .max ? 0 : m * perImage
                      switch residual {
                      case .none: break
                      case .separate: store.residual = residualValues.baseAddress!
                      case .inPlace: store.residual = UnsafePointer(c.baseAddress!)
                      }
                      (store.ldr, store.residualImageStride) = (store.ldc, store.imageStride)
                      SGEMM.run(
                        m: m, n: n, k: k, a: .matrix(.rowMajor(a.baseAddress!, columns: k)),
                        b: .matrix(.rowMajor(b.baseAddress!, columns: n)), store: store, pool: pool, kernels: kernels,
                        storeFromTiles: fromTiles)
                    }
                   }
                  }
                }
              }
              results.append(c)
            }
            let what =
              "\(set.rawValue) \(m)x\(n)x\(k) per image \(perImage) \(activation) bias \(withBias) residual \(residual) tile12 \(kernels.tile12 != nil)"
            XCTAssertFalse(results[1].contains { $0.isNaN }, "\(what): unwritten elements")
            assertIdentical(results[1], results[0], what)
           }
          }
        }
      }
    }
  }

  /// Tiles that read B's rows where they lie give the bits of tiles over packed panels:
  /// whole pairs of panels, a partial last panel (packed either way), several K slices, rows
  /// split over tasks (where the panels would otherwise be packed once and shared), and
  /// images side by side (B's columns in groups, as a batched 1x1 conv has them), whose tasks
  /// that straddle two images pack. With and without the tiles' own store. Run with each
  /// module this CPU supports, C filled with NaN first.
  func testBReadInPlaceGivesPackedBits() {
    let pool = ThreadPool(threads: 2)
    let shapes: [(m: Int, n: Int, k: Int, perImage: Int)] = [
      (97, 300, 513, .max), (256, 64, 64, .max), (200, 49, 300, .max), (25, 160, 200, .max), (13, 147, 64, 49),
      (30, 96, 70, 32), (12, 33, 40, .max), (600, 20, 20, .max),
    ]
    for set in InstructionSet.allCases {
      guard set.isSupported else {
        print("skipping the \(set.rawValue) kernels: this CPU does not run them")
        continue
      }
      for (m, n, k, perImage) in shapes {
        var rng = SeededRandom(seed: UInt64(m * 7919 + n * 31 + k))
        let a = rng.floats(m * k), bias = rng.floats(m), residual = rng.floats(m * n)
        // B as images: image g's K rows of `perImage` columns, one image after the other.
        let columns = min(perImage, n), images = (n + columns - 1) / columns
        let b = rng.floats(images * k * columns)
        for fromTiles in [false, true] {
          var results: [[Float]] = []
          for inPlace in [false, true] {
            var c = [Float](repeating: .nan, count: m * n)
            a.withUnsafeBufferPointer { a in
              b.withUnsafeBufferPointer { b in
                bias.withUnsafeBufferPointer { bias in
                  residual.withUnsafeBufferPointer { residual in
                    c.withUnsafeMutableBufferPointer { c in
                      var store = GemmStore(c: c.baseAddress!, ldc: columns, rowBias: bias.baseAddress!, activation: .relu)
                      (store.columnsPerImage, store.imageStride) = (perImage, perImage == .max ? 0 : m * perImage)
                      (store.residual, store.ldr, store.residualImageStride) = (residual.baseAddress!, columns, store.imageStride)
                      var view = MatrixView.rowMajor(b.baseAddress!, columns: columns)
                      if perImage != .max { (view.columnsPerGroup, view.groupStride) = (perImage, k * perImage) }
                      SGEMM.run(
                        m: m, n: n, k: k, a: .matrix(.rowMajor(a.baseAddress!, columns: k)), b: .matrix(view), store: store,
                        pool: pool, kernels: set.kernels, storeFromTiles: fromTiles, readingBInPlace: inPlace)
                    }
                  }
                }
              }
            }
            results.append(c)
          }
          let what = "\(set.rawValue) \(m)x\(n)x\(k) per image \(perImage) from tiles \(fromTiles)"
          XCTAssertFalse(results[1].contains { $0.isNaN }, "\(what): unwritten elements")
          assertIdentical(results[1], results[0], what)
        }
      }
    }
  }
}
