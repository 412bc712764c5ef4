// The register-tile micro-kernels, compiled once per instruction set: this file is
// built into KernelsHaswell (AVX2 + FMA, `-target-cpu haswell -D GRAPHC_FMA`) and, through
// a symbolic link, into KernelsGeneric (plain x86-64). GraphRuntime picks one at run
// time (CPUFeatures). Functions here are non-generic so the choice is a plain call.

/// `acc + a * b`: one fused multiply-add where the CPU has FMA. Without it, `addingProduct`
/// would become one libm `fmaf` call per lane, so the generic build multiplies then adds.
@inline(__always)
func mulAdd(_ acc: SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
  #if GRAPHC_FMA
    acc.addingProduct(a, b)
  #else
    acc + a * b
  #endif
}

/// The 6 x 16 SGEMM register tile: `c (+)= a_panel * b_panel` over `depth`.
///
/// `a` holds `depth` groups of 6 floats (one per tile row), `b` `depth` groups of 16
/// (one per tile column), both packed contiguously; `c` is row-major with row stride
/// `ldc` floats. With `accumulate`, the tile adds to what `c` holds.
public func sgemmTile6x16(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
  typealias V = SIMD16<Float>
  var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
  let rawB = UnsafeRawPointer(b)
  var ap = a
  for p in 0..<depth {
    let bv = rawB.load(fromByteOffset: p * 64, as: V.self)
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
    c0 += raw.load(fromByteOffset: 0 * rowBytes, as: V.self)
    c1 += raw.load(fromByteOffset: 1 * rowBytes, as: V.self)
    c2 += raw.load(fromByteOffset: 2 * rowBytes, as: V.self)
    c3 += raw.load(fromByteOffset: 3 * rowBytes, as: V.self)
    c4 += raw.load(fromByteOffset: 4 * rowBytes, as: V.self)
    c5 += raw.load(fromByteOffset: 5 * rowBytes, as: V.self)
  }
  raw.storeBytes(of: c0, toByteOffset: 0 * rowBytes, as: V.self)
  raw.storeBytes(of: c1, toByteOffset: 1 * rowBytes, as: V.self)
  raw.storeBytes(of: c2, toByteOffset: 2 * rowBytes, as: V.self)
  raw.storeBytes(of: c3, toByteOffset: 3 * rowBytes, as: V.self)
  raw.storeBytes(of: c4, toByteOffset: 4 * rowBytes, as: V.self)
  raw.storeBytes(of: c5, toByteOffset: 5 * rowBytes, as: V.self)
}

/// `dot(x, y)` over `count` floats, 16 lanes at a time (the dense layer's inner loop).
public func dotProduct(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
  var acc = SIMD16<Float>()
  let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
  var i = 0
  while i + 16 <= count {
    acc = mulAdd(acc, rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                 ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
    i += 16
  }
  var sum = acc.sum()
  while i < count {
    sum += x[i] * y[i]
    i += 1
  }
  return sum
}
