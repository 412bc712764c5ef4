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
  /// With that layout and few rows (`m <= 4`, e.g. batch 1), each output is a contiguous
  /// dot product and threads split the columns.
  package static func gemm(
    _ p: GemmParameters, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    let store = GemmStore(
      c: output, ldc: p.n, alpha: p.alpha, colBias: epilogue.bias, residual: epilogue.residual, ldr: p.n,
      activation: epilogue.activation)
    if p.transB && !p.transA && p.m <= 4 {
      rowTimesRows(p, a: a, b: b, store: store, pool: pool)
      return
    }
    let aView: MatrixView = p.transA ? .transposed(a, rows: p.m) : .rowMajor(a, columns: p.k)
    let bView: MatrixView = p.transB ? .transposed(b, rows: p.k) : .rowMajor(b, columns: p.n)
    SGEMM.run(m: p.m, n: p.n, k: p.k, a: .matrix(aView), b: bView, store: store, pool: pool)
  }

  /// `Y[i, j] = dot(A[i, :], B[j, :])` for row-major `A [m, k]` and `B [n, k]`.
  private static func rowTimesRows(
    _ p: GemmParameters, a: UnsafePointer<Float>, b: UnsafePointer<Float>, store: GemmStore, pool: ThreadPool?
  ) {
    let columnsPerChunk = 64
    let chunks = (p.n + columnsPerChunk - 1) / columnsPerChunk
    parallelFor(pool, chunks) { chunk in
      let j0 = chunk * columnsPerChunk, j1 = min(p.n, j0 + columnsPerChunk)
      for i in 0..<p.m {
        for j in j0..<j1 {
          var v = store.alpha * dot(a + i * p.k, b + j * p.k, count: p.k)
          if let bias = store.colBias { v += bias[j] }
          if let residual = store.residual { v += residual[i * store.ldr + j] }
          store.c[i * store.ldc + j] = store.activation.apply(v)
        }
      }
    }
  }

  /// A SIMD dot product with a fixed summation order (depends only on `count`).
  @inline(__always)
  static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    InstructionSet.dot(x, y, count: count)
  }
}
