import GraphPlan

extension Kernels {
  /// Gemm for fully connected layers: `Y = alpha * op(A) * op(B)` followed by the
  /// epilogue (per-column `bias`, `[m, n]` `residual`, activation).
  ///
  /// ONNX Gemm's `beta * C` is not applied here: the compiler folds a `[n]` `C` (times
  /// `beta`) into `epilogue.bias`, and a full `[m, n]` `C` with `beta == 1` into
  /// `epilogue.residual`; `Reference.gemm` (GraphReference) handles every case.
  ///
  /// Expected weight layout: `B` as `[n, k]` row-major with `transB == true` (ONNX Gemm
  /// `transB=1`, PyTorch `Linear`). Other layouts work through strided packing.
  /// With that layout each output is a contiguous dot product, computed the same way at
  /// any `m`, and threads split the columns.
  ///
  /// - Parameter rowsPerItem: rows of `A` per batch item. From ``matrixRows`` rows up (a
  ///   MatMul over `[batch, H, W, K]`, as in ConvNeXt's MLPs) each item is a matrix, not a
  ///   vector, and the product goes through ``SGEMM`` (register tiles reuse every weight
  ///   loaded) whatever the batch; SGEMM sums each output in the same order at any `m`, so an
  ///   item's result still does not depend on the batch it runs in.
  package static func gemm(
    _ p: GemmParameters, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil, rowsPerItem: Int = 1
  ) {
    let store = GemmStore(
      c: output, ldc: p.n, alpha: p.alpha, colBias: epilogue.bias, residual: epilogue.residual, ldr: p.n,
      activation: epilogue.activation)
    if p.transB && !p.transA && rowsPerItem < matrixRows {
      rowTimesRows(p, a: a, b: b, store: store, pool: pool)
      return
    }
    let aView: MatrixView = p.transA ? .transposed(a, rows: p.m) : .rowMajor(a, columns: p.k)
    let bView: MatrixView = p.transB ? .transposed(b, rows: p.k) : .rowMajor(b, columns: p.n)
    SGEMM.run(m: p.m, n: p.n, k: p.k, a: .matrix(aView), b: .matrix(bView), store: store, pool: pool)
  }

  /// The K slice from which leftover rows read four weight rows at a time. Below it the rows
  /// one after the other are a single stream the hardware prefetcher follows well, and four
  /// interleaved short rows read slower: on a Zen 3 (a C loop over a 4 MB matrix from memory)
  /// four streams against one were 12 against 18 GB/s at K = 240, 17 against 20 at 960, even at
  /// 1280, and 21-24 against 17-19 from 2048 up (MobileNet-V3's squeeze-excitation layers, K of
  /// 24-240, ran 15% slower four at a time).
  static let fourStreamDepth = 2048

  /// Rows per item from which a dense layer runs as a matrix product (SGEMM's 6-row tiles).
  static let matrixRows = 6

  /// `Y[i, j] = dot(A[i, :], B[j, :])` for row-major `A [m, k]` and `B [n, k]`.
  ///
  /// A dense layer is bound by reading its weights (the rows of B), so each weight is read
  /// once per pass over up to `rowsPerPass` rows of A: K goes in slices small enough that
  /// the pass's slice of A stays in L1 while a chunk of B's rows streams past, four rows of A
  /// per call, with each dot product's 16 lanes kept in scratch between slices. Rows left
  /// over (at batch 1, the only one) go against four rows of B per call where the slice is
  /// long (``fourStreamDepth``), one row otherwise. Every output is the same dot product
  /// whatever `m`, the slicing and the thread count, so an item's result does not depend on
  /// the batch it runs in.
  private static func rowTimesRows(
    _ p: GemmParameters, a: UnsafePointer<Float>, b: UnsafePointer<Float>, store: GemmStore, pool: ThreadPool?
  ) {
    typealias Lanes = SIMD16<Float>
    let columnsPerChunk = 32
    let chunks = (p.n + columnsPerChunk - 1) / columnsPerChunk
    withUnsafePointer(to: KernelTable.current) { kernels in
      parallelFor(pool, chunks, (p, a, b, store, kernels)) { context, chunk in
        let (p, a, b, store, kernels) = context
        let columnsPerChunk = 32, rowsPerPass = 16
        let vectorK = p.k / 16 * 16
        let j0 = chunk * columnsPerChunk, j1 = min(p.n, j0 + columnsPerChunk)
        let scratch = ThreadScratch.floats(columnsPerChunk * rowsPerPass * 16 + columnsPerChunk)
        let lanes = UnsafeMutableRawPointer(scratch).bindMemory(to: Lanes.self, capacity: columnsPerChunk * rowsPerPass)
        // A row's dot products before the epilogue (not in C: C may be the residual's memory).
        let dots = scratch + columnsPerChunk * rowsPerPass * 16
        for pass in stride(from: 0, to: p.m, by: rowsPerPass) {
          let rows = min(rowsPerPass, p.m - pass), fours = rows / 4 * 4
          // The pass's slice of A: about 32 KiB (a single row goes whole: nothing to share).
          let slice = max(256, 8192 / rows / 16 * 16)
          // The lanes of output (pass + r, j0 + c) are lanes[c * rowsPerPass + r].
          // Only the lanes in use: all 512 of them were 32 KiB of stores per chunk at batch 1.
          for c in 0..<(j1 - j0) { (lanes + c * rowsPerPass).update(repeating: Lanes(), count: rows) }
          for k0 in stride(from: 0, to: vectorK, by: slice) {
            let depth = min(slice, vectorK - k0)
            for q in stride(from: j0, to: j1, by: 4) {
              let quad = min(4, j1 - q)
              for j in q..<(q + quad) {
                let weights = b + j * p.k + k0, jLanes = lanes + (j - j0) * rowsPerPass
                for r in stride(from: 0, to: fours, by: 4) {
                  let x = a + (pass + r) * p.k + k0
                  kernels.pointee.dotLanes4(x, x + p.k, x + 2 * p.k, x + 3 * p.k, weights, depth, jLanes + r)
                }
              }
              // Four streams from memory read faster than one where the rows are long (see
              // `dotProductLanesColumns4`); short ones are one stream anyway, row after row.
              for r in fours..<rows {
                let x = a + (pass + r) * p.k + k0, qLanes = lanes + (q - j0) * rowsPerPass + r
                if quad == 4 && depth >= fourStreamDepth {
                  kernels.pointee.dotColumns4(x, b + q * p.k + k0, p.k, depth, qLanes, rowsPerPass)
                } else {
                  for c in 0..<quad { kernels.pointee.dotLanes1(x, b + (q + c) * p.k + k0, depth, qLanes + c * rowsPerPass) }
                }
              }
            }
          }
          for r in 0..<rows {
            let i = pass + r
            kernels.pointee.dotFinishColumns(
              lanes + r, rowsPerPass, a + i * p.k + vectorK, b + j0 * p.k + vectorK, p.k, p.k - vectorK, j1 - j0, dots)
            for j in j0..<j1 {
              var v = store.alpha * dots[j - j0]
              if let bias = store.colBias { v += bias[j] }
              if let residual = store.residual { v += residual[i * store.ldr + j] }
              store.c[i * store.ldc + j] = v
            }
          }
          // The activation by vectors over each row's run of columns: one element at a time, an
          // exp-based one computed a whole vector per element.
          if store.activation != .none {
            for i in pass..<(pass + rows) {
              let run = store.c + i * store.ldc + j0
              activation(store.activation, run, count: j1 - j0, output: run, kernels: kernels.pointee)
            }
          }
        }
      }
    }
  }
}
