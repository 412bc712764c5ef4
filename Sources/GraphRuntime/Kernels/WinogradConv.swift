import GraphPlan

/// Winograd F(4x4, 3x3) or F(2x2, 3x3) convolution (3x3, stride 1, dilation 1, one group,
/// any padding) with weights the compiler transformed (``Winograd``, layouts `.winograd4x4`
/// and `.winograd2x2`). One code path serves both tile sizes: only the transforms differ.
///
/// Output tiles of m x m are numbered by tile row (over batch items and rows) then column.
/// Tile rows go in blocks, each in three stages:
/// 1. input transform, threads over input channels: `V[ξ][c][tile] = (Bᵀ d B)[ξ]`;
/// 2. one GEMM per point (36 or 16), `P[ξ] = U[ξ] V[ξ]` (`[M, C] x [C, tiles]`), threads
///    over `ξ`, each run by ``SGEMM`` on one thread reading the packed `U[ξ]` in place;
/// 3. output transform `Aᵀ P A` with bias, residual and activation, threads over output
///    channels, straight into the (possibly channel-sliced) output.
/// Where the weights are small, each thread instead takes its own share of the tile rows
/// through all three stages (``Tiling/runsByThreads(_:)``).
/// Each value is computed by one thread in an order fixed by the geometry (the block size
/// does not depend on the thread count), so results are bit-identical for any thread count.
enum WinogradConv {
  /// Tiles per SIMD group of the transforms.
  static let lanes = 8
  /// Target floats of one block's transformed input plus products (2 MiB; at least one tile
  /// row), or of the transformed weights `U` if those are more: every block streams all 36
  /// `U[ξ]` again. Measured per layer in whole networks at batch 1, once the GEMM tiles
  /// prefetched `U`: 2 MiB blocks ran the Winograd convs of ResNet-18, GoogLeNet and ResNet-50
  /// 10-20% faster than 8 MiB ones (the blocks stay in cache between the three stages), 1 MiB
  /// ones up to 1.6x slower (a 256-channel conv at 14x14 streamed its 9.4 MB of `U` twice);
  /// at batch 8, 2 MiB blocks cost ResNet-18 7% where `U` was larger than a block.
  static let blockFloats = 1 << 19
  /// At most 8 MiB per batch item even where `U` is more, and no more tile rows than the batch
  /// has, so that at batch 1 the session's workspace stays under 16 MiB (with the rows'
  /// padding) for up to 512 channels at up to 224x224: VGG-16's 512-channel convs at 28x28 had
  /// blocks of 36 tile rows, 40 MB, for the 7 of one image. At batch 8 they keep 36 (blocks of
  /// 8 rows took VGG-16 3-4% longer: `U` streamed 7 times instead of 2).
  static let maxBlockFloatsPerItem = 1 << 21
  /// Floats of output rows the output transform stores in one call (see `Job.run`).
  static let rowsStoredTogether = 512

  /// Tile counts and the block shape for one geometry, shared by the workspace size and the kernel.
  struct Tiling {
    let tilesHigh: Int, tilesWide: Int
    /// Tile rows of the whole batch.
    let totalRows: Int
    /// SIMD groups per tile row.
    let groups: Int
    /// Tile rows per block (at least 1).
    let rowsPerBlock: Int
    /// Floats per `(ξ, channel)` row of the workspace: a block's tiles and room for the
    /// last SIMD group's overhang.
    let stride: Int
    let inChannels: Int, outChannels: Int
    let variant: Winograd

    init(_ g: Conv2DGeometry, _ variant: Winograd, batch: Int, blockFloats: Int? = nil) {
      let points = variant.points, m = variant.outputTile
      let weights = points * g.inChannels * g.outChannels
      let blockFloats =
        blockFloats ?? min(max(WinogradConv.blockFloats, weights), batch * WinogradConv.maxBlockFloatsPerItem)
      self.variant = variant
      tilesHigh = (g.outHeight + m - 1) / m
      tilesWide = (g.outWidth + m - 1) / m
      totalRows = batch * tilesHigh
      groups = (tilesWide + lanes - 1) / lanes
      inChannels = g.inChannels
      outChannels = g.outChannels
      rowsPerBlock = max(1, min(totalRows, blockFloats / (points * (g.inChannels + g.outChannels) * tilesWide)))
      stride = (rowsPerBlock * tilesWide + lanes + 15) / 16 * 16
    }

    /// Floats between the planes `V[ξ]` (`inChannels` rows) and between the planes `P[ξ]`
    /// (`outChannels` rows): an odd number of cache lines, so that the 36 points of one tile,
    /// read or written together by a transform, do not all fall in one cache set (plain
    /// `rows * stride` is often a multiple of 4 KiB).
    var inputPlane: Int { Tiling.oddLines(inChannels * stride) }
    /// (`P[ξ]` has rows up to a multiple of 6: the GEMM writes whole register tiles there.)
    var productPlane: Int { Tiling.oddLines((outChannels + 5) / 6 * 6 * stride) }

    static func oddLines(_ floats: Int) -> Int {
      let lines = (floats + 15) / 16
      return (lines | 1) * 16
    }

    /// Whether `run` gives each thread its own share of the tile rows, all three stages in
    /// its own workspace, instead of spreading each stage over the threads. Stage by stage, a
    /// thread reads what the others wrote in the stage before (other input channels, other
    /// points), and the next conv reads output channels the other thread wrote: where the two
    /// vCPUs sat on different CCDs, ResNet-18's Winograd convs at 56x56 took 3.96 ms at 2
    /// threads, 3.34 by tile rows. By tile rows a thread reads its own, and the input rows the
    /// previous conv (split by output pixels) wrote on it. But every block streams all of `U`:
    /// only where the threads' blocks stream it no more often than the shared blocks would
    /// (ResNet-18's 128-channel convs at 28x28, one block shared or two by threads, took 2.5%
    /// longer by threads), `U` is at most 4 MiB, the threads' blocks together at most 16 MiB at
    /// batch 1 (the session's workspace), and each thread has tiles enough for its GEMMs' register tiles.
    /// Decided on one item's tiling, the same for every batch (the session's workspace then
    /// grows with the batch).
    func runsByThreads(_ threads: Int) -> Bool {
      guard threads > 1, variant.points * inChannels * outChannels <= 1 << 20, threads * workspaceCount <= 1 << 22,
        tilesHigh * tilesWide >= 20 * threads
      else { return false }
      let share = (tilesHigh + threads - 1) / threads
      return threads * ((share + rowsPerBlock - 1) / rowsPerBlock) <= (tilesHigh + rowsPerBlock - 1) / rowsPerBlock
    }

    /// Floats of `V` and `P` for one block.
    var workspaceCount: Int { variant.points * (inputPlane + productPlane) }
    /// Floats of one padded input row (`m * 8 * groups` columns, plus a group's overhang).
    var inputRowStride: Int { variant.outputTile * lanes * groups + 16 }
  }

  /// Zeroes a few floats without a call into libc.
  @inline(__always)
  static func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count {
      p[i] = 0
      i += 1
    }
  }

  /// Floats of workspace `run` needs for `p` on `threads` threads: one block's, or one per
  /// thread where the tile rows go to the threads (see ``Tiling/runsByThreads(_:)``).
  /// The count grows with `p.batch`.
  static func workspaceCount(_ p: Conv2DParameters, _ variant: Winograd, threads: Int = 1) -> Int {
    Tiling(p.geometry, variant, batch: p.batch).workspaceCount * (runsByThreads(p.geometry, variant, threads) ? threads : 1)
  }

  /// ``Tiling/runsByThreads(_:)`` on one item's tiling: the one decision the workspace's size
  /// and `run` share.
  static func runsByThreads(_ g: Conv2DGeometry, _ variant: Winograd, _ threads: Int) -> Bool {
    Tiling(g, variant, batch: 1).runsByThreads(threads)
  }

  /// - Parameter workspace: at least ``workspaceCount(_:_:threads:)`` floats for the pool's
  ///   threads, or nil to allocate for the call.
  /// - Parameter blockFloats, byThreads: tests' overrides of the block size and of
  ///   ``Tiling/runsByThreads(_:)``.
  static func run(
    _ p: Conv2DParameters, _ variant: Winograd, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, epilogue: Epilogue,
    output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>?, pool: ThreadPool?,
    blockFloats: Int? = nil, byThreads: Bool? = nil
  ) {
    precondition(Winograd.applies(to: p.geometry), "Winograd conv on an unsupported geometry")
    let tiling = Tiling(p.geometry, variant, batch: p.batch, blockFloats: blockFloats)
    let threads = pool?.threads ?? 1
    precondition(workspace == nil || (blockFloats == nil && byThreads == nil), "a workspace is sized for the default blocks")
    let byThreads = threads > 1 && (byThreads ?? runsByThreads(p.geometry, variant, threads))
    let blockCount = tiling.workspaceCount
    let space = workspace ?? allocateFloats(blockCount * (byThreads ? threads : 1))
    defer { if workspace == nil { space.deallocate() } }
    let conv = Job(p: p, tiling: tiling, input: input, weights: weights, epilogue: epilogue, output: output)
    let totalRows = tiling.totalRows
    guard byThreads else {
      conv.run(rows: 0..<totalRows, space: space, pool: pool)
      return
    }
    // Each thread its own share of the tile rows, through all three stages in its own workspace.
    parallelFor(pool, threads, (conv, space, blockCount, totalRows, threads)) { context, t in
      let (conv, space, blockCount, totalRows, threads) = context
      let share = (totalRows + threads - 1) / threads
      let first = min(totalRows, t * share)
      conv.run(rows: first..<min(totalRows, first + share), space: space + t * blockCount, pool: nil)
    }
  }

  /// One convolution's operands.
  private struct Job {
    let p: Conv2DParameters, tiling: Tiling
    let input: UnsafePointer<Float>, weights: UnsafePointer<Float>, epilogue: Epilogue
    let output: UnsafeMutablePointer<Float>

    /// Tile rows `rows` (over batch items, then rows), in blocks of up to `tiling.rowsPerBlock`
    /// through the three stages, each stage spread over `pool`, in `space` (one block's workspace).
    func run(rows all: Range<Int>, space: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
      let (p, tiling, input, weights, epilogue, output) = (p, tiling, input, weights, epilogue, output)
      let g = p.geometry, w = g.window
      let c = g.inChannels, m = g.outChannels, h = g.inHeight, wd = g.inWidth, oh = g.outHeight, ow = g.outWidth
      let points = tiling.variant.points, ld = tiling.stride
      let vPlane = tiling.inputPlane, pPlane = tiling.productPlane
      let v = space, products = space + points * vPlane
      let matrix = Winograd.matrixCount(outChannels: m, inChannels: c)
      var r0 = all.lowerBound
      while r0 < all.upperBound {
        let rows = min(tiling.rowsPerBlock, all.upperBound - r0)
        let tiles = rows * tiling.tilesWide
        // The last SIMD group of the block's tiles reads past its last tile: keep those finite.
        for xi in 0..<points {
          for oc in 0..<m { zero(products + xi * pPlane + oc * ld + tiles, lanes) }
        }

        // 1. Input transform.
        parallelFor(pool, c, (tiling, r0, rows, input, c, h, wd, w, v, ld, vPlane)) { context, ch in
          let (tiling, r0, rows, input, c, h, wd, w, v, ld, vPlane) = context
          let transform = KernelTable.current.winograd(tiling.variant).input
          let rs = tiling.inputRowStride, side = tiling.variant.inputTile
          let buffer = ThreadScratch.floats(side * rs)
          for r in r0..<(r0 + rows) {
            let n = r / tiling.tilesHigh, ty = r % tiling.tilesHigh
            let plane = input + (n * c + ch) * h * wd
            for i in 0..<side {
              let row = buffer + i * rs
              let iy = tiling.variant.outputTile * ty - w.padTop + i
              guard iy >= 0 && iy < h else {
                row.update(repeating: 0, count: rs)
                continue
              }
              // Buffer column x is input column x - padLeft.
              let lo = min(w.padLeft, rs), hi = max(lo, min(rs, w.padLeft + wd))
              zero(row, lo)
              (row + lo).update(from: plane + iy * wd + (lo - w.padLeft), count: hi - lo)
              zero(row + hi, rs - hi)
            }
            transform(buffer, rs, tiling.groups, v + ch * ld + (r - r0) * tiling.tilesWide, vPlane)
          }
        }

        // 2. One GEMM per point.
        parallelFor(pool, points, (m, tiles, c, weights, matrix, v, vPlane, ld, products, pPlane)) { context, xi in
          let (m, tiles, c, weights, matrix, v, vPlane, ld, products, pPlane) = context
          SGEMM.run(
            m: m, n: tiles, k: c, a: .panels(weights + xi * matrix),
            b: .matrix(MatrixView(base: v + xi * vPlane, rowStride: ld, colStride: 1)),
            store: GemmStore(c: products + xi * pPlane, ldc: ld, holdsWholeTiles: true), pool: nil)
        }

        // 3. Output transform and epilogue.
        parallelFor(pool, m, (p, tiling, r0, rows, epilogue, products, ld, pPlane, m, oh, ow, output)) { context, oc in
          let (p, tiling, r0, rows, epilogue, products, ld, pPlane, m, oh, ow, output) = context
          let transform = KernelTable.current.winograd(tiling.variant).output
          // One transform for all the block's tiles of this channel, as if they were one long
          // tile row (consecutive in `P`): SIMD groups of 8 tiles then cross tile rows, and a
          // 14x14 map's tile rows of 4 tiles (F(4x4)) no longer leave half of each group empty.
          // Tile row `q` of the block has its output rows at column `side * tilesWide * q`.
          let side = tiling.variant.outputTile, tiles = rows * tiling.tilesWide
          let groups = (tiles + lanes - 1) / lanes, rs = side * lanes * groups
          // Output rows wait in `pending` and go to the output a run of whole rows at a time:
          // row by row, a 14x14 map's rows of 14 floats each cost a store call of their own
          // (half of this stage, and the calls did not get faster on 2 threads).
          let capacity = max(ow, WinogradConv.rowsStoredTogether)
          let buffer = ThreadScratch.floats(side * rs + capacity)
          let pending = buffer + side * rs
          var pendingRows = 0, pendingImage = 0, firstPendingRow = 0
          let bias = epilogue.bias.map { $0[oc] } ?? 0
          let kernels = KernelTable.current
          func storePending() {
            guard pendingRows > 0 else { return }
            let (n, oy) = (pendingImage, firstPendingRow)
            let dst = output + ((n * p.outputTotalChannels + p.outputChannelOffset + oc) * oh + oy) * ow
            // The GEMM's row store, 16 lanes at a time (the bias is in `pending` already): element
            // by element, SiLU made these convs 3-4x slower than im2col (EfficientNet-V2-S).
            let res = epilogue.residual.map { $0 + ((n * m + oc) * oh + oy) * ow }
            SGEMM.storeRow(
              pending, count: pendingRows * ow, to: dst, alpha: 1, rowBias: 0, colBias: nil, residual: res,
              activation: epilogue.activation, kernels: kernels)
            pendingRows = 0
          }
          transform(products + oc * ld, pPlane, groups, bias, buffer, rs)
          for r in r0..<(r0 + rows) {
            let n = r / tiling.tilesHigh, ty = r % tiling.tilesHigh
            let rowStart = buffer + side * tiling.tilesWide * (r - r0)
            for i in 0..<min(side, oh - side * ty) {
              if n != pendingImage || (pendingRows + 1) * ow > capacity { storePending() }
              if pendingRows == 0 { (pendingImage, firstPendingRow) = (n, side * ty + i) }
              (pending + pendingRows * ow).update(from: rowStart + i * rs, count: ow)
              pendingRows += 1
            }
          }
          storePending()
        }
        r0 += rows
      }
    }
  }
}
