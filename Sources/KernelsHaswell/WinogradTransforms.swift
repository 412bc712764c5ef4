// Winograd F(4x4, 3x3) tile transforms, compiled once per instruction set like
// MicroKernels.swift (KernelsGeneric links this file). Eight tiles of one tile row go
// through at once, one per SIMD lane; the points are 0, ±1, ½, -2, ∞ (see `Winograd.f4x4` in
// GraphPlan, which transforms the weights, for why not Lavin & Gray's ±2).

typealias W8 = SIMD8<Float>

/// `Bᵀ x` for one 6-point column (each operand eight tiles wide).
@inline(__always)
private func inputTransform6(
  _ d0: W8, _ d1: W8, _ d2: W8, _ d3: W8, _ d4: W8, _ d5: W8
) -> (W8, W8, W8, W8, W8, W8) {
  let d31 = d3 - d1, d42 = d4 - d2
  let r0 = mulAdd8(mulAdd8(d0, d2, W8(repeating: -2)) + d4, d31, W8(repeating: 1.5))
  let r1 = mulAdd8(mulAdd8(d4 - d1, d2, W8(repeating: 0.5)), d3, W8(repeating: 2.5))
  let r2 = mulAdd8(mulAdd8(d4 + d1, d2, W8(repeating: -2.5)), d3, W8(repeating: 0.5))
  let r3 = mulAdd8(d42, d31, W8(repeating: 2))
  let r4 = mulAdd8(d42, d31, W8(repeating: -0.5))
  let r5 = mulAdd8(mulAdd8(d5 + d1, d3, W8(repeating: -2)), d42, W8(repeating: 1.5))
  return (r0, r1, r2, r3, r4, r5)
}

/// `Aᵀ x` for one 6-point column: four outputs.
@inline(__always)
private func outputTransform6(
  _ m0: W8, _ m1: W8, _ m2: W8, _ m3: W8, _ m4: W8, _ m5: W8
) -> (W8, W8, W8, W8) {
  let s12 = m1 + m2, d12 = m1 - m2
  let y0 = m0 + s12 + (m3 + m4)
  let y1 = mulAdd8(mulAdd8(d12, m3, W8(repeating: 0.5)), m4, W8(repeating: -2))
  let y2 = mulAdd8(mulAdd8(s12, m3, W8(repeating: 0.25)), m4, W8(repeating: 4))
  let y3 = mulAdd8(mulAdd8(d12 + m5, m3, W8(repeating: 0.125)), m4, W8(repeating: -8))
  return (y0, y1, y2, y3)
}

/// `acc + a * b`, fused where the CPU has FMA.
@inline(__always)
private func mulAdd8(_ acc: W8, _ a: W8, _ b: W8) -> W8 {
  #if GRAPHC_FMA
    acc.addingProduct(a, b)
  #else
    acc + a * b
  #endif
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>, _ offset: Int) -> W8 {
  UnsafeRawPointer(p + offset).loadUnaligned(as: W8.self)
}

@inline(__always)
private func store8(_ v: W8, _ p: UnsafeMutablePointer<Float>, _ offset: Int) {
  UnsafeMutableRawPointer(p + offset).storeBytes(of: v, as: W8.self)
}

/// Input transform `V = Bᵀ d B` of `groups * 8` consecutive tiles of one tile row.
///
/// `rows` holds the tile row's 6 input rows (row `i` at `rows + i * rowStride`), zero
/// padded, with tile `t` starting at column `4 * t`; each row has at least
/// `32 * groups + 8` readable floats. Point `ξ = 6 * i + k` of tile `t` goes to
/// `out[ξ * pointStride + t]` (whole groups of 8 are written).
public func winogradInputTiles(
  rows: UnsafePointer<Float>, rowStride: Int, groups: Int, out: UnsafeMutablePointer<Float>, pointStride: Int
) {
  // d[a][j] (tap a, j of the 8 tiles), rows 0-2 and 3-5 in two buffers: a temporary allocation
  // stays on the stack only up to 1 KiB, and the transform must not allocate. Bᵀ d replaces d
  // column by column (column j of Bᵀ d needs only column j of d).
  withUnsafeTemporaryAllocation(of: W8.self, capacity: 18) { top in
    withUnsafeTemporaryAllocation(of: W8.self, capacity: 18) { bottom in
      let top = top.baseAddress!, bottom = bottom.baseAddress!
      @inline(__always) func row(_ a: Int) -> UnsafeMutablePointer<W8> { a < 3 ? top + a * 6 : bottom + (a - 3) * 6 }
      for group in 0..<groups {
        let x0 = 32 * group
        // Column j of tile l is row column 4 * l + j: deinterleaved from five loads.
        for a in 0..<6 {
          let r = rows + a * rowStride + x0
          let v0 = load8(r, 0), v1 = load8(r, 8), v2 = load8(r, 16), v3 = load8(r, 24), v4 = load8(r, 32)
          let d = row(a)
          d[0] = W8(v0[0], v0[4], v1[0], v1[4], v2[0], v2[4], v3[0], v3[4])
          d[1] = W8(v0[1], v0[5], v1[1], v1[5], v2[1], v2[5], v3[1], v3[5])
          d[2] = W8(v0[2], v0[6], v1[2], v1[6], v2[2], v2[6], v3[2], v3[6])
          d[3] = W8(v0[3], v0[7], v1[3], v1[7], v2[3], v2[7], v3[3], v3[7])
          d[4] = W8(v0[4], v1[0], v1[4], v2[0], v2[4], v3[0], v3[4], v4[0])
          d[5] = W8(v0[5], v1[1], v1[5], v2[1], v2[5], v3[1], v3[5], v4[1])
        }
        for j in 0..<6 {
          let c = inputTransform6(row(0)[j], row(1)[j], row(2)[j], row(3)[j], row(4)[j], row(5)[j])
          row(0)[j] = c.0
          row(1)[j] = c.1
          row(2)[j] = c.2
          row(3)[j] = c.3
          row(4)[j] = c.4
          row(5)[j] = c.5
        }
        let o = out + x0 / 4
        for i in 0..<6 {
          let t = row(i)
          let v = inputTransform6(t[0], t[1], t[2], t[3], t[4], t[5])
          store8(v.0, o, (i * 6 + 0) * pointStride)
          store8(v.1, o, (i * 6 + 1) * pointStride)
          store8(v.2, o, (i * 6 + 2) * pointStride)
          store8(v.3, o, (i * 6 + 3) * pointStride)
          store8(v.4, o, (i * 6 + 4) * pointStride)
          store8(v.5, o, (i * 6 + 5) * pointStride)
        }
      }
    }
  }
}

/// Output transform `Y = Aᵀ M A + bias` of `groups * 8` consecutive tiles of one tile row.
///
/// Point `ξ` of tile `t` is read from `products[ξ * pointStride + t]` (whole groups of 8);
/// output row `i` (0..<4) of the tile row is written to `out + i * rowStride`, tile `t` at
/// columns `4 * t ..< 4 * t + 4` (`32 * groups` floats per row).
public func winogradOutputTiles(
  products: UnsafePointer<Float>, pointStride: Int, groups: Int, bias: Float, out: UnsafeMutablePointer<Float>, rowStride: Int
) {
  withUnsafeTemporaryAllocation(of: W8.self, capacity: 24) { scratch in
    let t = scratch.baseAddress!  // Aᵀ M, [u][k]
    let b = W8(repeating: bias)
    for group in 0..<groups {
      let p = products + 8 * group
      for k in 0..<6 {
        let y = outputTransform6(
          load8(p, (0 + k) * pointStride), load8(p, (6 + k) * pointStride), load8(p, (12 + k) * pointStride),
          load8(p, (18 + k) * pointStride), load8(p, (24 + k) * pointStride), load8(p, (30 + k) * pointStride))
        t[0 * 6 + k] = y.0
        t[1 * 6 + k] = y.1
        t[2 * 6 + k] = y.2
        t[3 * 6 + k] = y.3
      }
      for u in 0..<4 {
        let y = outputTransform6(t[u * 6], t[u * 6 + 1], t[u * 6 + 2], t[u * 6 + 3], t[u * 6 + 4], t[u * 6 + 5])
        let y0 = y.0 + b, y1 = y.1 + b, y2 = y.2 + b, y3 = y.3 + b
        // Interleave: tile l's four columns are y0[l], y1[l], y2[l], y3[l].
        let o = out + u * rowStride + 32 * group
        store8(W8(y0[0], y1[0], y2[0], y3[0], y0[1], y1[1], y2[1], y3[1]), o, 0)
        store8(W8(y0[2], y1[2], y2[2], y3[2], y0[3], y1[3], y2[3], y3[3]), o, 8)
        store8(W8(y0[4], y1[4], y2[4], y3[4], y0[5], y1[5], y2[5], y3[5]), o, 16)
        store8(W8(y0[6], y1[6], y2[6], y3[6], y0[7], y1[7], y2[7], y3[7]), o, 24)
      }
    }
  }
}

// Winograd F(2x2, 3x3) for small maps (points 0, ±1, ∞), matching `Winograd.f2x2`: the same
// layout as above with 4x4 input tiles at stride 2 and 2x2 output tiles.

/// `Bᵀ x` for one 4-point column of F(2x2, 3x3).
@inline(__always)
private func inputTransform4(_ d0: W8, _ d1: W8, _ d2: W8, _ d3: W8) -> (W8, W8, W8, W8) {
  (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
}

/// `Aᵀ x` for one 4-point column of F(2x2, 3x3): two outputs.
@inline(__always)
private func outputTransform4(_ m0: W8, _ m1: W8, _ m2: W8, _ m3: W8) -> (W8, W8) {
  (m0 + m1 + m2, m1 - m2 - m3)
}

/// Input transform `V = Bᵀ d B` of F(2x2, 3x3) for `groups * 8` consecutive tiles of one
/// tile row: `rows` holds the tile row's 4 input rows (row `i` at `rows + i * rowStride`),
/// zero padded, tile `t` starting at column `2 * t`; each row has at least `16 * groups + 8`
/// readable floats. Point `ξ = 4 * i + k` of tile `t` goes to `out[ξ * pointStride + t]`
/// (whole groups of 8 are written).
public func winograd2InputTiles(
  rows: UnsafePointer<Float>, rowStride: Int, groups: Int, out: UnsafeMutablePointer<Float>, pointStride: Int
) {
  for group in 0..<groups {
    let x0 = 16 * group
    // Column j of tile l is row column 2 * l + j: deinterleaved from three loads per row.
    @inline(__always) func columns(_ a: Int) -> (W8, W8, W8, W8) {
      let r = rows + a * rowStride + x0
      let v0 = load8(r, 0), v1 = load8(r, 8), v2 = load8(r, 16)
      return (
        W8(v0[0], v0[2], v0[4], v0[6], v1[0], v1[2], v1[4], v1[6]),
        W8(v0[1], v0[3], v0[5], v0[7], v1[1], v1[3], v1[5], v1[7]),
        W8(v0[2], v0[4], v0[6], v1[0], v1[2], v1[4], v1[6], v2[0]),
        W8(v0[3], v0[5], v0[7], v1[1], v1[3], v1[5], v1[7], v2[1]))
    }
    let d0 = columns(0), d1 = columns(1), d2 = columns(2), d3 = columns(3)
    // Bᵀ d, column by column: t[i] holds row i of the result.
    let c0 = inputTransform4(d0.0, d1.0, d2.0, d3.0)
    let c1 = inputTransform4(d0.1, d1.1, d2.1, d3.1)
    let c2 = inputTransform4(d0.2, d1.2, d2.2, d3.2)
    let c3 = inputTransform4(d0.3, d1.3, d2.3, d3.3)
    let o = out + x0 / 2
    @inline(__always) func store(row i: Int, _ v: (W8, W8, W8, W8)) {
      store8(v.0, o, (i * 4 + 0) * pointStride)
      store8(v.1, o, (i * 4 + 1) * pointStride)
      store8(v.2, o, (i * 4 + 2) * pointStride)
      store8(v.3, o, (i * 4 + 3) * pointStride)
    }
    // (Bᵀ d) B: row i of Bᵀ d is (c0.i, c1.i, c2.i, c3.i).
    store(row: 0, inputTransform4(c0.0, c1.0, c2.0, c3.0))
    store(row: 1, inputTransform4(c0.1, c1.1, c2.1, c3.1))
    store(row: 2, inputTransform4(c0.2, c1.2, c2.2, c3.2))
    store(row: 3, inputTransform4(c0.3, c1.3, c2.3, c3.3))
  }
}

/// Output transform `Y = Aᵀ M A + bias` of F(2x2, 3x3) for `groups * 8` consecutive tiles of
/// one tile row: point `ξ` of tile `t` is read from `products[ξ * pointStride + t]` (whole
/// groups of 8); output row `i` (0..<2) is written to `out + i * rowStride`, tile `t` at
/// columns `2 * t ..< 2 * t + 2` (`16 * groups` floats per row).
public func winograd2OutputTiles(
  products: UnsafePointer<Float>, pointStride: Int, groups: Int, bias: Float, out: UnsafeMutablePointer<Float>, rowStride: Int
) {
  let b = W8(repeating: bias)
  for group in 0..<groups {
    let p = products + 8 * group
    @inline(__always) func column(_ k: Int) -> (W8, W8) {
      outputTransform4(
        load8(p, (0 + k) * pointStride), load8(p, (4 + k) * pointStride), load8(p, (8 + k) * pointStride),
        load8(p, (12 + k) * pointStride))
    }
    let k0 = column(0), k1 = column(1), k2 = column(2), k3 = column(3)
    @inline(__always) func store(row u: Int, _ y: (W8, W8)) {
      let y0 = y.0 + b, y1 = y.1 + b
      // Interleave: tile l's two columns are y0[l], y1[l].
      let o = out + u * rowStride + 16 * group
      store8(W8(y0[0], y1[0], y0[1], y1[1], y0[2], y1[2], y0[3], y1[3]), o, 0)
      store8(W8(y0[4], y1[4], y0[5], y1[5], y0[6], y1[6], y0[7], y1[7]), o, 8)
    }
    // Aᵀ (M A): output row u from row u of every column's Aᵀ.
    store(row: 0, outputTransform4(k0.0, k1.0, k2.0, k3.0))
    store(row: 1, outputTransform4(k0.1, k1.1, k2.1, k3.1))
  }
}
