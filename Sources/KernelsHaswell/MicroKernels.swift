// The register-tile micro-kernels, compiled once per instruction set: this file is
// built into KernelsHaswell (AVX2 + FMA, `-target-cpu haswell -D GRAPHC_FMA`) and, through
// symbolic links, into KernelsSkylakeX (AVX-512, `-target-cpu skylake-avx512 -D GRAPHC_FMA`)
// and KernelsGeneric (plain x86-64). GraphRuntime picks one at run time (CPUFeatures).
// Functions here are non-generic so the choice is a plain call.

import CPrefetch

/// `acc + a * b`: one fused multiply-add where the CPU has FMA. Without it, `addingProduct`
/// would become one libm `fmaf` call per lane, so the generic build multiplies then adds.
@inline(__always)
func mulAdd<V: SIMD>(_ acc: V, _ a: V, _ b: V) -> V where V.Scalar == Float {
  #if GRAPHC_FMA
    acc.addingProduct(a, b)
  #else
    acc + a * b
  #endif
}

/// What a tile does to its finished sums before it stores them: nothing (`rowBias` nil), or
/// the GEMM store's epilogue for one K slice that finishes the sums, row `r` through
/// `KernelVector.storedRow(bias: rowBias[r], residual:lower:upper:)`: the whole store in registers, where
/// it would otherwise go to a scratch block first and through `clampedStoreRow` after. With
/// `rowBias`, `residual` is required: the tile's element `(r, j)` adds `residual[r * ldr + j]`,
/// which may be `c` itself (each element is read before it is written). Without a residual the
/// caller passes a row of zeros and `ldr` 0 (adding +0 after the store's +0 changes no bits):
/// one path keeps the 12 x 32 tile small enough that the compiler inlines all of it.
struct TileFinish {
  let rowBias: UnsafePointer<Float>?, lower: Float, upper: Float
  let residual: UnsafePointer<Float>?, ldr: Int
  @inline(__always) init(
    _ rowBias: UnsafePointer<Float>?, _ lower: Float, _ upper: Float, _ residual: UnsafePointer<Float>?, _ ldr: Int
  ) {
    (self.rowBias, self.lower, self.upper, self.residual, self.ldr) = (rowBias, lower, upper, residual, ldr)
  }

  /// Six rows' sums, rows `firstRow...` and columns `column...` of the tile, through the
  /// epilogue (nothing when plain). Transparent, as `KernelVector.storedRow` is:
  /// `@inline(__always)` on a generic function left its specialization out of line, and each
  /// call passed the six vectors through memory.
  @_transparent
  func apply<V: KernelVector>(
    _ c0: inout V, _ c1: inout V, _ c2: inout V, _ c3: inout V, _ c4: inout V, _ c5: inout V, firstRow: Int,
    column: Int = 0
  ) {
    guard let bias = rowBias?.advanced(by: firstRow) else { return }
    let r = UnsafeRawPointer(residual.unsafelyUnwrapped + (firstRow &* ldr &+ column)), rowBytes = ldr &* 4
    c0 = c0.storedRow(bias: bias[0], residual: r.loadUnaligned(fromByteOffset: 0 &* rowBytes, as: V.self), lower: lower, upper: upper)
    c1 = c1.storedRow(bias: bias[1], residual: r.loadUnaligned(fromByteOffset: 1 &* rowBytes, as: V.self), lower: lower, upper: upper)
    c2 = c2.storedRow(bias: bias[2], residual: r.loadUnaligned(fromByteOffset: 2 &* rowBytes, as: V.self), lower: lower, upper: upper)
    c3 = c3.storedRow(bias: bias[3], residual: r.loadUnaligned(fromByteOffset: 3 &* rowBytes, as: V.self), lower: lower, upper: upper)
    c4 = c4.storedRow(bias: bias[4], residual: r.loadUnaligned(fromByteOffset: 4 &* rowBytes, as: V.self), lower: lower, upper: upper)
    c5 = c5.storedRow(bias: bias[5], residual: r.loadUnaligned(fromByteOffset: 5 &* rowBytes, as: V.self), lower: lower, upper: upper)
  }
}

/// The 6 x 16 tile over rows of B that lie in memory as they are: row `p` is the 16 floats
/// at `b + offsets[p]`. A stride-1 convolution's im2col rows for 16 neighbouring outputs are
/// its input shifted by each tap, so the tile reads them from the image and nothing is
/// packed (see GraphRuntime's `ShiftedConv`). Otherwise `sgemmTile6x16`: the same sums in the
/// same order, so the same bits.
public func sgemmTile6x16Shifted(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile6(
    SIMD16<Float>.self, depth: depth, a: a, b: ShiftedRows(base: b, offsets: offsets), c: c, ldc: ldc, accumulate: accumulate,
    finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// Where a tile's rows of B are: one packed panel (rows 16 floats apart) or anywhere (`ShiftedRows`).
protocol TileRowsB {
  func row<V: KernelVector>(_ p: Int, as: V.Type) -> V
}

/// A packed panel of B: row `p` at `p * 16` floats.
struct PanelRows: TileRowsB {
  let base: UnsafeRawPointer
  @inline(__always) func row<V: KernelVector>(_ p: Int, as: V.Type) -> V {
    base.loadUnaligned(fromByteOffset: p &* 64, as: V.self)
  }
}

/// Rows of B at `base + offsets[p]`.
struct ShiftedRows: TileRowsB {
  let base: UnsafePointer<Float>, offsets: UnsafePointer<Int>
  @inline(__always) func row<V: KernelVector>(_ p: Int, as: V.Type) -> V {
    UnsafeRawPointer(base + offsets[p]).loadUnaligned(as: V.self)
  }
}

/// Rows of B `stride` floats apart, read where they lie: a 1x1 convolution's input, whose
/// row `p` (input channel `p`) holds every output pixel's value in order, so the GEMM need
/// not pack it (see SGEMM's `PanelsOfB`).
struct StridedRows: TileRowsB {
  let base: UnsafeRawPointer, rowBytes: Int
  @inline(__always) init(_ base: UnsafePointer<Float>, stride: Int) { (self.base, rowBytes) = (UnsafeRawPointer(base), stride &* 4) }
  @inline(__always) func row<V: KernelVector>(_ p: Int, as: V.Type) -> V {
    base.loadUnaligned(fromByteOffset: p &* rowBytes, as: V.self)
  }
}

/// The 6 x 16 SGEMM register tile: `c (+)= a_panel * b_panel` over `depth`.
///
/// `a` holds `depth` groups of 6 floats (one per tile row), `b` `depth` groups of 16
/// (one per tile column), both packed contiguously; `c` is row-major with row stride
/// `ldc` floats. With `accumulate`, the tile adds to what `c` holds. With `rowBias` (6
/// floats, one per row), the sums then go through the store's epilogue with `residual` (see
/// `TileFinish`).
public func sgemmTile6x16(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile6(SIMD16<Float>.self, depth: depth, a: a, b: PanelRows(base: b), c: c, ldc: ldc, accumulate: accumulate, finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// `sgemmTile6x16` over B's rows where they lie, `ldb` floats apart (16 columns from `b`):
/// the same sums in the same order, so the same bits.
public func sgemmTile6x16Strided(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile6(
    SIMD16<Float>.self, depth: depth, a: a, b: StridedRows(b, stride: ldb), c: c, ldc: ldc, accumulate: accumulate,
    finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// The 6 x 8 SGEMM register tile for a B panel's last columns: the first 8 columns of
/// `sgemmTile6x16`'s tile (`b` keeps its 16-float rows), each computed exactly as there.
/// A GEMM whose last panel holds 8 columns or fewer (49 = 3 x 16 + 1) does half the work on it.
public func sgemmTile6x8(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile6(SIMD8<Float>.self, depth: depth, a: a, b: PanelRows(base: b), c: c, ldc: ldc, accumulate: accumulate, finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// The 6-row tile over the first `V.scalarCount` columns of B's rows (one body for both
/// widths and both kinds of rows, specialized into each public kernel).
@inline(__always)
func tile6<V: KernelVector, B: TileRowsB>(
  _: V.Type, depth: Int, a: UnsafePointer<Float>, b: B,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, finish: TileFinish
) {
  var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
  var ap = a
  // The next panel of A (see `sgemmTile12x32`).
  let nextA = a + 6 * depth
  for p in 0..<depth {
    graphc_prefetch(nextA + 6 &* p)
    let bv = b.row(p, as: V.self)
    c0 = mulAdd(c0, V(repeating: ap[0]), bv)
    c1 = mulAdd(c1, V(repeating: ap[1]), bv)
    c2 = mulAdd(c2, V(repeating: ap[2]), bv)
    c3 = mulAdd(c3, V(repeating: ap[3]), bv)
    c4 = mulAdd(c4, V(repeating: ap[4]), bv)
    c5 = mulAdd(c5, V(repeating: ap[5]), bv)
    ap += 6
  }
  let raw = UnsafeMutableRawPointer(c)
  let rowBytes = ldc * 4
  if accumulate {
    c0 += raw.loadUnaligned(fromByteOffset: 0 * rowBytes, as: V.self)
    c1 += raw.loadUnaligned(fromByteOffset: 1 * rowBytes, as: V.self)
    c2 += raw.loadUnaligned(fromByteOffset: 2 * rowBytes, as: V.self)
    c3 += raw.loadUnaligned(fromByteOffset: 3 * rowBytes, as: V.self)
    c4 += raw.loadUnaligned(fromByteOffset: 4 * rowBytes, as: V.self)
    c5 += raw.loadUnaligned(fromByteOffset: 5 * rowBytes, as: V.self)
  }
  finish.apply(&c0, &c1, &c2, &c3, &c4, &c5, firstRow: 0)
  raw.storeBytes(of: c0, toByteOffset: 0 * rowBytes, as: V.self)
  raw.storeBytes(of: c1, toByteOffset: 1 * rowBytes, as: V.self)
  raw.storeBytes(of: c2, toByteOffset: 2 * rowBytes, as: V.self)
  raw.storeBytes(of: c3, toByteOffset: 3 * rowBytes, as: V.self)
  raw.storeBytes(of: c4, toByteOffset: 4 * rowBytes, as: V.self)
  raw.storeBytes(of: c5, toByteOffset: 5 * rowBytes, as: V.self)
}

/// Tiles of consecutive A panels against a B panel's first one or two columns, with the
/// lanes down the rows instead of across the columns: a GEMM whose last panel holds 1 or 2
/// columns (a 7x7 plane: 49 = 3 x 16 + 1) costs per K step 2 vector FMAs per panel and
/// column here, 6 in `sgemmTile6x8` (which also runs only 6 FMA chains, too few to hide
/// the latency). Panels go in groups (4 for one column, 2 for two: 8 chains either way);
/// returns how many panels it did, a multiple of the group, and leaves the rest to the caller.
///
/// `a` holds `panels` panels of `depth` groups of 6 floats, one after the other; `b` rows of
/// 16 floats; `c` is row-major with row stride `ldc`, of which columns `0..<width` are
/// written. Each element is summed as `sgemmTile6x16` sums it (K ascending, fused where the
/// build has FMA, then plus `c` when accumulating): the same bits.
public func sgemmTileNarrow(
  depth: Int, a: UnsafePointer<Float>, panels: Int, b: UnsafePointer<Float>, width: Int,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) -> Int {
  let panelFloats = depth * 6
  switch width {
  case 1:
    var done = 0
    while done + 4 <= panels {
      narrowOneColumn(depth: depth, a: a + done * panelFloats, b: b, c: c + done * 6 * ldc, ldc: ldc, accumulate: accumulate)
      done += 4
    }
    return done
  case 2:
    var done = 0
    while done + 2 <= panels {
      narrowTwoColumns(depth: depth, a: a + done * panelFloats, b: b, c: c + done * 6 * ldc, ldc: ldc, accumulate: accumulate)
      done += 2
    }
    return done
  default:
    return 0
  }
}

/// Rows 0-3 and 4-5 of one panel's K step `p`.
@inline(__always)
private func panelRows(_ a: UnsafePointer<Float>, _ p: Int) -> (SIMD4<Float>, SIMD2<Float>) {
  let raw = UnsafeRawPointer(a + p * 6)
  return (raw.loadUnaligned(as: SIMD4<Float>.self), raw.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self))
}

/// Writes one panel's 6 sums of column `j`: `c[r * ldc + j] = sum[r] (+ c[r * ldc + j])`.
@inline(__always)
private func storeColumn(
  _ low: SIMD4<Float>, _ high: SIMD2<Float>, to c: UnsafeMutablePointer<Float>, ldc: Int, column j: Int, accumulate: Bool
) {
  for r in 0..<6 {
    let sum = r < 4 ? low[r] : high[r - 4]
    c[r * ldc + j] = accumulate ? sum + c[r * ldc + j] : sum
  }
}

/// Four panels (24 rows) by column 0.
@inline(__always)
private func narrowOneColumn(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
  let stride = depth * 6
  var l0 = SIMD4<Float>(), l1 = SIMD4<Float>(), l2 = SIMD4<Float>(), l3 = SIMD4<Float>()
  var h0 = SIMD2<Float>(), h1 = SIMD2<Float>(), h2 = SIMD2<Float>(), h3 = SIMD2<Float>()
  for p in 0..<depth {
    let x = b[p * 16]
    let (a0, e0) = panelRows(a, p), (a1, e1) = panelRows(a + stride, p)
    let (a2, e2) = panelRows(a + 2 * stride, p), (a3, e3) = panelRows(a + 3 * stride, p)
    l0 = mulAdd(l0, a0, SIMD4(repeating: x))
    h0 = mulAdd(h0, e0, SIMD2(repeating: x))
    l1 = mulAdd(l1, a1, SIMD4(repeating: x))
    h1 = mulAdd(h1, e1, SIMD2(repeating: x))
    l2 = mulAdd(l2, a2, SIMD4(repeating: x))
    h2 = mulAdd(h2, e2, SIMD2(repeating: x))
    l3 = mulAdd(l3, a3, SIMD4(repeating: x))
    h3 = mulAdd(h3, e3, SIMD2(repeating: x))
  }
  storeColumn(l0, h0, to: c, ldc: ldc, column: 0, accumulate: accumulate)
  storeColumn(l1, h1, to: c + 6 * ldc, ldc: ldc, column: 0, accumulate: accumulate)
  storeColumn(l2, h2, to: c + 12 * ldc, ldc: ldc, column: 0, accumulate: accumulate)
  storeColumn(l3, h3, to: c + 18 * ldc, ldc: ldc, column: 0, accumulate: accumulate)
}

/// Two panels (12 rows) by columns 0 and 1.
@inline(__always)
private func narrowTwoColumns(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
  let stride = depth * 6
  var l00 = SIMD4<Float>(), l01 = SIMD4<Float>(), l10 = SIMD4<Float>(), l11 = SIMD4<Float>()
  var h00 = SIMD2<Float>(), h01 = SIMD2<Float>(), h10 = SIMD2<Float>(), h11 = SIMD2<Float>()
  for p in 0..<depth {
    let x0 = b[p * 16], x1 = b[p * 16 + 1]
    let (a0, e0) = panelRows(a, p), (a1, e1) = panelRows(a + stride, p)
    l00 = mulAdd(l00, a0, SIMD4(repeating: x0))
    h00 = mulAdd(h00, e0, SIMD2(repeating: x0))
    l01 = mulAdd(l01, a0, SIMD4(repeating: x1))
    h01 = mulAdd(h01, e0, SIMD2(repeating: x1))
    l10 = mulAdd(l10, a1, SIMD4(repeating: x0))
    h10 = mulAdd(h10, e1, SIMD2(repeating: x0))
    l11 = mulAdd(l11, a1, SIMD4(repeating: x1))
    h11 = mulAdd(h11, e1, SIMD2(repeating: x1))
  }
  storeColumn(l00, h00, to: c, ldc: ldc, column: 0, accumulate: accumulate)
  storeColumn(l01, h01, to: c, ldc: ldc, column: 1, accumulate: accumulate)
  storeColumn(l10, h10, to: c + 6 * ldc, ldc: ldc, column: 0, accumulate: accumulate)
  storeColumn(l11, h11, to: c + 6 * ldc, ldc: ldc, column: 1, accumulate: accumulate)
}

/// The 12 x 16 SGEMM register tile: two consecutive 6-row panels of `a` (the second
/// `depth * 6` floats after the first) against one panel of `b`, as two 6 x 16 tiles would
/// compute them, element for element in the same order. Twelve accumulators fill AVX-512's
/// 32 registers' worth of independent FMA chains; AVX2 has only 16 registers (use 6 x 16).
public func sgemmTile12x16(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile12x16(depth: depth, a: a, b: PanelRows(base: b), c: c, ldc: ldc, accumulate: accumulate, finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// `sgemmTile12x16` over B's rows where they lie, `ldb` floats apart: the same bits.
public func sgemmTile12x16Strided(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile12x16(
    depth: depth, a: a, b: StridedRows(b, stride: ldb), c: c, ldc: ldc, accumulate: accumulate,
    finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// The 12 x 16 tile's one body, for packed panels and rows in place.
@inline(__always)
func tile12x16<B: TileRowsB>(
  depth: Int, a: UnsafePointer<Float>, b: B, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, finish: TileFinish
) {
  typealias V = SIMD16<Float>
  var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
  var c6 = V(), c7 = V(), c8 = V(), c9 = V(), c10 = V(), c11 = V()
  var ap = a, aq = a + depth * 6
  // The next two panels of A (see `sgemmTile12x32`).
  let nextA = a + 12 * depth
  for p in 0..<depth {
    graphc_prefetch(nextA + 12 &* p)
    let bv = b.row(p, as: V.self)
    c0 = mulAdd(c0, V(repeating: ap[0]), bv)
    c1 = mulAdd(c1, V(repeating: ap[1]), bv)
    c2 = mulAdd(c2, V(repeating: ap[2]), bv)
    c3 = mulAdd(c3, V(repeating: ap[3]), bv)
    c4 = mulAdd(c4, V(repeating: ap[4]), bv)
    c5 = mulAdd(c5, V(repeating: ap[5]), bv)
    c6 = mulAdd(c6, V(repeating: aq[0]), bv)
    c7 = mulAdd(c7, V(repeating: aq[1]), bv)
    c8 = mulAdd(c8, V(repeating: aq[2]), bv)
    c9 = mulAdd(c9, V(repeating: aq[3]), bv)
    c10 = mulAdd(c10, V(repeating: aq[4]), bv)
    c11 = mulAdd(c11, V(repeating: aq[5]), bv)
    ap += 6
    aq += 6
  }
  let raw = UnsafeMutableRawPointer(c)
  let rowBytes = ldc * 4
  if accumulate {
    c0 += raw.loadUnaligned(fromByteOffset: 0 * rowBytes, as: V.self)
    c1 += raw.loadUnaligned(fromByteOffset: 1 * rowBytes, as: V.self)
    c2 += raw.loadUnaligned(fromByteOffset: 2 * rowBytes, as: V.self)
    c3 += raw.loadUnaligned(fromByteOffset: 3 * rowBytes, as: V.self)
    c4 += raw.loadUnaligned(fromByteOffset: 4 * rowBytes, as: V.self)
    c5 += raw.loadUnaligned(fromByteOffset: 5 * rowBytes, as: V.self)
    c6 += raw.loadUnaligned(fromByteOffset: 6 * rowBytes, as: V.self)
    c7 += raw.loadUnaligned(fromByteOffset: 7 * rowBytes, as: V.self)
    c8 += raw.loadUnaligned(fromByteOffset: 8 * rowBytes, as: V.self)
    c9 += raw.loadUnaligned(fromByteOffset: 9 * rowBytes, as: V.self)
    c10 += raw.loadUnaligned(fromByteOffset: 10 * rowBytes, as: V.self)
    c11 += raw.loadUnaligned(fromByteOffset: 11 * rowBytes, as: V.self)
  }
  finish.apply(&c0, &c1, &c2, &c3, &c4, &c5, firstRow: 0)
  finish.apply(&c6, &c7, &c8, &c9, &c10, &c11, firstRow: 6)
  raw.storeBytes(of: c0, toByteOffset: 0 * rowBytes, as: V.self)
  raw.storeBytes(of: c1, toByteOffset: 1 * rowBytes, as: V.self)
  raw.storeBytes(of: c2, toByteOffset: 2 * rowBytes, as: V.self)
  raw.storeBytes(of: c3, toByteOffset: 3 * rowBytes, as: V.self)
  raw.storeBytes(of: c4, toByteOffset: 4 * rowBytes, as: V.self)
  raw.storeBytes(of: c5, toByteOffset: 5 * rowBytes, as: V.self)
  raw.storeBytes(of: c6, toByteOffset: 6 * rowBytes, as: V.self)
  raw.storeBytes(of: c7, toByteOffset: 7 * rowBytes, as: V.self)
  raw.storeBytes(of: c8, toByteOffset: 8 * rowBytes, as: V.self)
  raw.storeBytes(of: c9, toByteOffset: 9 * rowBytes, as: V.self)
  raw.storeBytes(of: c10, toByteOffset: 10 * rowBytes, as: V.self)
  raw.storeBytes(of: c11, toByteOffset: 11 * rowBytes, as: V.self)
}

/// The 12 x 32 SGEMM register tile: two consecutive 6-row panels of `a` (as in
/// `sgemmTile12x16`) against two consecutive panels of `b` (the second `depth * 16` floats
/// after the first), as four 6 x 16 tiles would compute them, element for element in the same
/// order. Per K step 2 vector loads and 12 broadcasts feed 24 FMAs (the 12 x 16 tile: 1 and 12
/// for 12), which AVX-512's 32 registers hold: about 7% more of the FMA peak on Zen 5.
/// Column `j` of `c` is row-major with row stride `ldc`, columns `0..<32` written.
public func sgemmTile12x32(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile12x32(
    depth: depth, a: a, left: PanelRows(base: b), right: PanelRows(base: b + depth * 16), c: c, ldc: ldc,
    accumulate: accumulate, finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// `sgemmTile12x32` over B's rows where they lie, `ldb` floats apart (32 columns from `b`):
/// the same bits.
public func sgemmTile12x32Strided(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowBias: UnsafePointer<Float>?, lower: Float, upper: Float,
  residual: UnsafePointer<Float>?, ldr: Int
) {
  tile12x32(
    depth: depth, a: a, left: StridedRows(b, stride: ldb), right: StridedRows(b + 16, stride: ldb), c: c, ldc: ldc,
    accumulate: accumulate, finish: TileFinish(rowBias, lower, upper, residual, ldr))
}

/// The 12 x 32 tile's one body, for packed panels and rows in place.
@inline(__always)
func tile12x32<B: TileRowsB>(
  depth: Int, a: UnsafePointer<Float>, left: B, right: B, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
  finish: TileFinish
) {
  typealias V = SIMD16<Float>
  var c0l = V(), c0r = V(), c1l = V(), c1r = V(), c2l = V(), c2r = V(), c3l = V(), c3r = V(), c4l = V(), c4r = V(), c5l = V(), c5r = V()
  var c6l = V(), c6r = V(), c7l = V(), c7r = V(), c8l = V(), c8r = V(), c9l = V(), c9r = V(), c10l = V(), c10r = V(), c11l = V(), c11r = V()
  var ap = a, aq = a + depth * 6
  // The next two panels of A follow these two. They are usually the compiler's packed weights,
  // which do not stay cached between inferences: asked for while this tile computes, they
  // arrive in time. Without it a 512-channel 3x3 conv at 7x7 in a network took 1.80 ms
  // against 1.34 ms for the same layer run alone (weights cached); with it, 1.26 ms.
  let nextA = a + 12 * depth
  for p in 0..<depth {
    graphc_prefetch(nextA + 12 &* p)
    let bl = left.row(p, as: V.self), br = right.row(p, as: V.self)
    let x0 = V(repeating: ap[0])
    c0l = mulAdd(c0l, x0, bl)
    c0r = mulAdd(c0r, x0, br)
    let x1 = V(repeating: ap[1])
    c1l = mulAdd(c1l, x1, bl)
    c1r = mulAdd(c1r, x1, br)
    let x2 = V(repeating: ap[2])
    c2l = mulAdd(c2l, x2, bl)
    c2r = mulAdd(c2r, x2, br)
    let x3 = V(repeating: ap[3])
    c3l = mulAdd(c3l, x3, bl)
    c3r = mulAdd(c3r, x3, br)
    let x4 = V(repeating: ap[4])
    c4l = mulAdd(c4l, x4, bl)
    c4r = mulAdd(c4r, x4, br)
    let x5 = V(repeating: ap[5])
    c5l = mulAdd(c5l, x5, bl)
    c5r = mulAdd(c5r, x5, br)
    let x6 = V(repeating: aq[0])
    c6l = mulAdd(c6l, x6, bl)
    c6r = mulAdd(c6r, x6, br)
    let x7 = V(repeating: aq[1])
    c7l = mulAdd(c7l, x7, bl)
    c7r = mulAdd(c7r, x7, br)
    let x8 = V(repeating: aq[2])
    c8l = mulAdd(c8l, x8, bl)
    c8r = mulAdd(c8r, x8, br)
    let x9 = V(repeating: aq[3])
    c9l = mulAdd(c9l, x9, bl)
    c9r = mulAdd(c9r, x9, br)
    let x10 = V(repeating: aq[4])
    c10l = mulAdd(c10l, x10, bl)
    c10r = mulAdd(c10r, x10, br)
    let x11 = V(repeating: aq[5])
    c11l = mulAdd(c11l, x11, bl)
    c11r = mulAdd(c11r, x11, br)
    ap += 6
    aq += 6
  }
  let raw = UnsafeMutableRawPointer(c)
  let rowBytes = ldc * 4
  if accumulate {
    c0l += raw.loadUnaligned(fromByteOffset: 0 * rowBytes, as: V.self)
    c0r += raw.loadUnaligned(fromByteOffset: 0 * rowBytes + 64, as: V.self)
    c1l += raw.loadUnaligned(fromByteOffset: 1 * rowBytes, as: V.self)
    c1r += raw.loadUnaligned(fromByteOffset: 1 * rowBytes + 64, as: V.self)
    c2l += raw.loadUnaligned(fromByteOffset: 2 * rowBytes, as: V.self)
    c2r += raw.loadUnaligned(fromByteOffset: 2 * rowBytes + 64, as: V.self)
    c3l += raw.loadUnaligned(fromByteOffset: 3 * rowBytes, as: V.self)
    c3r += raw.loadUnaligned(fromByteOffset: 3 * rowBytes + 64, as: V.self)
    c4l += raw.loadUnaligned(fromByteOffset: 4 * rowBytes, as: V.self)
    c4r += raw.loadUnaligned(fromByteOffset: 4 * rowBytes + 64, as: V.self)
    c5l += raw.loadUnaligned(fromByteOffset: 5 * rowBytes, as: V.self)
    c5r += raw.loadUnaligned(fromByteOffset: 5 * rowBytes + 64, as: V.self)
    c6l += raw.loadUnaligned(fromByteOffset: 6 * rowBytes, as: V.self)
    c6r += raw.loadUnaligned(fromByteOffset: 6 * rowBytes + 64, as: V.self)
    c7l += raw.loadUnaligned(fromByteOffset: 7 * rowBytes, as: V.self)
    c7r += raw.loadUnaligned(fromByteOffset: 7 * rowBytes + 64, as: V.self)
    c8l += raw.loadUnaligned(fromByteOffset: 8 * rowBytes, as: V.self)
    c8r += raw.loadUnaligned(fromByteOffset: 8 * rowBytes + 64, as: V.self)
    c9l += raw.loadUnaligned(fromByteOffset: 9 * rowBytes, as: V.self)
    c9r += raw.loadUnaligned(fromByteOffset: 9 * rowBytes + 64, as: V.self)
    c10l += raw.loadUnaligned(fromByteOffset: 10 * rowBytes, as: V.self)
    c10r += raw.loadUnaligned(fromByteOffset: 10 * rowBytes + 64, as: V.self)
    c11l += raw.loadUnaligned(fromByteOffset: 11 * rowBytes, as: V.self)
    c11r += raw.loadUnaligned(fromByteOffset: 11 * rowBytes + 64, as: V.self)
  }
  finish.apply(&c0l, &c1l, &c2l, &c3l, &c4l, &c5l, firstRow: 0)
  finish.apply(&c0r, &c1r, &c2r, &c3r, &c4r, &c5r, firstRow: 0, column: 16)
  finish.apply(&c6l, &c7l, &c8l, &c9l, &c10l, &c11l, firstRow: 6)
  finish.apply(&c6r, &c7r, &c8r, &c9r, &c10r, &c11r, firstRow: 6, column: 16)
  raw.storeBytes(of: c0l, toByteOffset: 0 * rowBytes, as: V.self)
  raw.storeBytes(of: c0r, toByteOffset: 0 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c1l, toByteOffset: 1 * rowBytes, as: V.self)
  raw.storeBytes(of: c1r, toByteOffset: 1 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c2l, toByteOffset: 2 * rowBytes, as: V.self)
  raw.storeBytes(of: c2r, toByteOffset: 2 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c3l, toByteOffset: 3 * rowBytes, as: V.self)
  raw.storeBytes(of: c3r, toByteOffset: 3 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c4l, toByteOffset: 4 * rowBytes, as: V.self)
  raw.storeBytes(of: c4r, toByteOffset: 4 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c5l, toByteOffset: 5 * rowBytes, as: V.self)
  raw.storeBytes(of: c5r, toByteOffset: 5 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c6l, toByteOffset: 6 * rowBytes, as: V.self)
  raw.storeBytes(of: c6r, toByteOffset: 6 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c7l, toByteOffset: 7 * rowBytes, as: V.self)
  raw.storeBytes(of: c7r, toByteOffset: 7 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c8l, toByteOffset: 8 * rowBytes, as: V.self)
  raw.storeBytes(of: c8r, toByteOffset: 8 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c9l, toByteOffset: 9 * rowBytes, as: V.self)
  raw.storeBytes(of: c9r, toByteOffset: 9 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c10l, toByteOffset: 10 * rowBytes, as: V.self)
  raw.storeBytes(of: c10r, toByteOffset: 10 * rowBytes + 64, as: V.self)
  raw.storeBytes(of: c11l, toByteOffset: 11 * rowBytes, as: V.self)
  raw.storeBytes(of: c11r, toByteOffset: 11 * rowBytes + 64, as: V.self)
}

/// How far ahead (floats) a dense layer's dot products prefetch their weight row. The weights
/// stream from memory once per inference and the rows of a chunk lie one after the other; the
/// hardware prefetcher alone kept AlexNet's first dense layer at 21-23 GB/s (6.4-7.2 ms), with
/// this 4 KiB lead 28 GB/s (5.2 ms). 8 KiB was no better.
let weightPrefetchDistance = 1024

/// Four dot products with one shared `y`, in 16 lanes that persist between calls (the dense
/// layer's inner loop, `y` part of one weight row): `lanes[r] += x[r] * y` lane-wise over
/// `count` floats, a multiple of 16. ``dotProductFinish(lanes:_:_:count:)`` then adds the lanes
/// and the tail. Splitting a row's `count` over several calls leaves every lane's order intact,
/// so the result depends only on the row's length, not on the rows it shares calls with.
public func dotProductLanes4(
  _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>,
  _ y: UnsafePointer<Float>, count: Int, lanes: UnsafeMutablePointer<SIMD16<Float>>
) {
  fourDotLanes((x0, x1, x2, x3), (y, y, y, y), count: count, lanes: lanes, laneStride: 1, prefetching: y)
}

/// One dot product's lanes, `lanes[0] += x * y` lane-wise over `count` floats (a multiple
/// of 16): ``dotProductLanes4(_:_:_:_:_:count:lanes:)`` for a single row, each lane summed in
/// the same order.
public func dotProductLanes1(
  _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int, lanes: UnsafeMutablePointer<SIMD16<Float>>
) {
  typealias V = SIMD16<Float>
  var a = lanes[0]
  let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
  var i = 0
  while i < count {
    graphc_prefetch(y + i + weightPrefetchDistance)
    a = mulAdd(a, rx.loadUnaligned(fromByteOffset: i * 4, as: V.self), ry.loadUnaligned(fromByteOffset: i * 4, as: V.self))
    i += 16
  }
  lanes[0] = a
}

/// One row `x` against four weight rows, `y` and the three that follow it `yStride` floats
/// apart: `lanes[c * laneStride] += x * y_c` lane-wise over `count` floats (a multiple of 16),
/// each lane in ``dotProductLanes1(_:_:count:lanes:)``'s order, so the bits are the same.
///
/// A dense layer at batch 1 reads every weight once, so its speed is the rate the weights
/// stream in. On a Zen 3 core (AVX2), one long row at a time read 13-15 GB/s, prefetched as
/// `dotProductLanes1` does or not, and four rows side by side 19-20 GB/s (a C loop over
/// AlexNet's first layer; in graphrun its dense layers went 14.0 -> 9.1 ms). With four streams
/// the hardware prefetcher keeps up alone: a software prefetch per stream measured slower there
/// (16 GB/s), so there is none. (The 28 GB/s of `weightPrefetchDistance` was another CPU.)
public func dotProductLanesColumns4(
  _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, yStride: Int, count: Int,
  lanes: UnsafeMutablePointer<SIMD16<Float>>, laneStride: Int
) {
  let rows = (y, y + yStride, y + 2 * yStride, y + 3 * yStride)
  fourDotLanes((x, x, x, x), rows, count: count, lanes: lanes, laneStride: laneStride, prefetching: nil)
}

/// Four dot products' lanes, `lanes[d * laneStride] += x_d * y_d` lane-wise over `count` floats
/// (a multiple of 16), each lane in ``dotProductLanes1(_:_:count:lanes:)``'s order; with
/// `prefetching`, its weight row is prefetched ``weightPrefetchDistance`` ahead. The two kernels
/// above pass one side's pointer four times: inlined, it is loaded once per step.
@inline(__always)
private func fourDotLanes(
  _ x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
  _ y: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
  count: Int, lanes: UnsafeMutablePointer<SIMD16<Float>>, laneStride: Int, prefetching: UnsafePointer<Float>?
) {
  typealias V = SIMD16<Float>
  @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
  var a0 = lanes[0], a1 = lanes[laneStride], a2 = lanes[2 * laneStride], a3 = lanes[3 * laneStride]
  var i = 0
  while i < count {
    if let prefetching { graphc_prefetch(prefetching + i + weightPrefetchDistance) }
    a0 = mulAdd(a0, load(x.0, i), load(y.0, i))
    a1 = mulAdd(a1, load(x.1, i), load(y.1, i))
    a2 = mulAdd(a2, load(x.2, i), load(y.2, i))
    a3 = mulAdd(a3, load(x.3, i), load(y.3, i))
    i += 16
  }
  lanes[0] = a0
  lanes[laneStride] = a1
  lanes[2 * laneStride] = a2
  lanes[3 * laneStride] = a3
}

/// ``dotProductFinish(lanes:_:_:count:)`` for one row `x` against `columns` weight rows:
/// `out[c]` from `lanes[c * laneStride]` and the tail of row `y + c * yStride`. One call for a
/// row of a chunk, not one per output: a call per output (its 16 adds in one dependent chain
/// each) cost a quarter of LeNet's dense layers at batch 8.
public func dotProductFinishColumns(
  lanes: UnsafePointer<SIMD16<Float>>, laneStride: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, yStride: Int,
  count: Int, columns: Int, out: UnsafeMutablePointer<Float>
) {
  for c in 0..<columns { out[c] = dotProductFinish(lanes: lanes[c * laneStride], x, y + c * yStride, count: count) }
}

/// The sum of `lanes` plus `x[i] * y[i]` for the `count` (< 16) tail elements, in a fixed order.
@inline(__always)
public func dotProductFinish(lanes: SIMD16<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
  var sum = lanes.sum()
  for i in 0..<count { sum += x[i] * y[i] }
  return sum
}
