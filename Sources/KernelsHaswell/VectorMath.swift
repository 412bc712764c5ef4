#if GRAPHC_FMA
  import CVectorShims
#endif

/// Transcendental functions on 16 floats at a time, branch-free so they vectorize: the
/// activations' `exp`, sigmoid, `tanh`, `erf` and GELU. The scalar forms of those activations run
/// the same code on a broadcast vector, so a tail element gets exactly what a lane would.
///
/// One source compiled into GraphRuntime (the fused epilogues) and, through symbolic links,
/// into each kernel module (`activationRow`, whole activation steps at the set's width).
/// The polynomials multiply-add through ``madd(_:_:_:)``: one fused instruction in the kernel
/// modules built for FMA (`GRAPHC_FMA`), a product and a sum elsewhere (Swift does not contract
/// `a * b + c`). So each module gives its own bits, the same on every run and thread count; the
/// FMA ones took SiLU from 22% of EfficientNet-B0's time at 1 thread to 17% (0.46 -> 0.34 ns a value on
/// cached data, Zen 4).
///
/// Accuracy against float64 (checked by the kernel tests against the reference): `exp` within
/// 2 ulp (Cephes' `expf` polynomial), `tanh` and `erf` within a few ulp.
enum VectorMath {
  typealias V = SIMD16<Float>

  /// The first `count` (< 16) floats at `p`, the other lanes zero: one copy through memory
  /// (setting lanes one by one stalls on every store-to-load forward).
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, count: Int) -> V {
    var v = V()
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
    return v
  }

  /// Stores the first `count` (< 16) lanes of `v` at `p`.
  @inline(__always)
  static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, count: Int) {
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
  }

  /// `a * b + c`, fused where the module is built for FMA: half the instructions of the
  /// polynomials, and a shorter chain of dependent ones.
  @inline(__always)
  static func madd(_ a: V, _ b: V, _ c: V) -> V {
    #if GRAPHC_FMA
      graphc_fma16(a, b, c)
    #else
      a * b + c
    #endif
  }

  /// `e^x`: `x = n ln 2 + r`, `|r| ≤ ln 2 / 2`, a degree-6 polynomial for `e^r` scaled by `2^n`
  /// as two powers of two built in the exponent bits, so results overflow to +inf and underflow
  /// through the subnormals to 0 as they should; NaN stays NaN.
  @inline(__always)
  static func exp(_ x: V) -> V {
    // Beyond these the result is +inf or 0 anyway; NaN passes through the clamp.
    let (k, p) = expReduced(clamp(x, lower: -105, upper: 88.8))
    // 2^n = 2^n1 * 2^n2 with both halves normal for n in [-152, 128].
    let bits = unsafeBitCast(k, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let half = bits &>> 1
    let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
    let scale2 = unsafeBitCast((bits &- half &+ 127) &<< 23, to: V.self)
    return p * scale1 * scale2
  }

  /// `e^x` where only `1 + e^x` will be used (the logistic functions): the same bits as ``exp(_:)``
  /// from -87.3 to about 88.37; below, `e^-87.3` (about 1e-38, so `1 + e^x` is 1 either way), and
  /// above, +inf where ``exp(_:)`` was finite up to 88.72: there a sigmoid's subnormal and SiLU's
  /// or GELU-tanh's values under about 3e-37 in magnitude become 0, and at the edge itself a build
  /// with FMA and one without may round `n` apart, one giving such a tiny value and the other 0.
  /// With `n` then in [-126, 128], `2^n` is one normal power of two (128 gives the infinity's
  /// bits) instead of two halves: SiLU is most of EfficientNet-B0's element-wise time, and the
  /// network took 20.0 -> 19.5 ms at 1 thread (Zen 3, AVX2).
  @inline(__always)
  static func expForOnePlus(_ x: V) -> V {
    let (k, p) = expReduced(clamp(x, lower: -87.3, upper: 88.8))
    // k's low mantissa bits hold n: (n + 127) << 23 is 2^n.
    let scale = (unsafeBitCast(k, to: SIMD16<Int32>.self) &- (0x4B40_0000 - 127)) &<< 23
    return p * unsafeBitCast(scale, to: V.self)
  }

  /// `c = n ln 2 + r`, `|r| ≤ ln 2 / 2`: `k`, whose low mantissa bits hold `n` (rounded by the
  /// 1.5 * 2^23 trick), and `e^r` (Cephes' `expf` polynomial), which ``exp(_:)`` and
  /// ``expForOnePlus(_:)`` then scale by `2^n` each their own way. `c` is clamped already.
  @inline(__always)
  private static func expReduced(_ c: V) -> (k: V, p: V) {
    let magic: Float = 12_582_912
    let k = madd(c, V(repeating: 1.442_695_04), V(repeating: magic))
    let n = k - magic
    let r = madd(n, V(repeating: 2.121_944_4e-4), madd(n, V(repeating: -0.693_359_375), c))
    var p = V(repeating: 1.987_569_15e-4)
    p = madd(p, r, V(repeating: 1.398_199_95e-3))
    p = madd(p, r, V(repeating: 8.333_451_9e-3))
    p = madd(p, r, V(repeating: 4.166_579_59e-2))
    p = madd(p, r, V(repeating: 1.666_666_55e-1))
    p = madd(p, r, V(repeating: 5.000_000_12e-1))
    return (k, madd(p * r, r, r) + 1)
  }

  /// `x` clamped to `[lower, upper]` as Clamp.h defines it (NaN passes through; lower > upper
  /// gives upper): one max and one min with FMA's vector shims, two selects elsewhere.
  @inline(__always)
  static func clamp(_ x: V, lower: Float, upper: Float) -> V {
    #if GRAPHC_FMA
      graphc_clamp16(x, lower, upper)
    #else
      let y = x.replacing(with: lower, where: x .< lower)
      return y.replacing(with: upper, where: y .> upper)
    #endif
  }

  /// `1 / (1 + e^-x)`.
  @inline(__always)
  static func sigmoid(_ x: V) -> V { 1 / (1 + expForOnePlus(-x)) }

  /// SiLU, `x * sigmoid(x)`, as `x / (1 + e^-x)`: one division, no product after it.
  @inline(__always)
  static func silu(_ x: V) -> V { x / (1 + expForOnePlus(-x)) }

  /// `tanh(x)`: an odd polynomial below |x| = 0.625 (Cephes' `tanhf`), `1 - 2 / (e^2|x| + 1)` above.
  @inline(__always)
  static func tanh(_ x: V) -> V {
    let a = x.replacing(with: -x, where: x .< 0)
    let z = x * x
    var p = V(repeating: -5.704_988_72e-3)
    p = p * z + 2.063_908_88e-2
    p = p * z - 5.373_971_55e-2
    p = p * z + 1.333_144_22e-1
    p = p * z - 3.333_328_19e-1
    let small = x + x * z * p
    var large = 1 - 2 / (expForOnePlus(a + a) + 1)
    large = large.replacing(with: -large, where: x .< 0)
    return small.replacing(with: large, where: a .>= 0.625)
  }

  /// `erf(x)`, within about 1 ulp: below |x| = 0.9277, `x + x P(x²)` (a degree-6 least-squares fit
  /// of `erf(x) / x - 1`, made here); above, `1 - e^(Q(|x|))` with N. Juffa's published
  /// coefficients for `erff`.
  @inline(__always)
  static func erf(_ x: V) -> V {
    let (small, tail, large) = erfParts(x)
    var outer = 1 - tail
    outer = outer.replacing(with: -outer, where: x .< 0)
    return small.replacing(with: outer, where: large)
  }

  /// `erf`'s two branches: `x + x P(x²)`, and `erfc(|x|) = e^(Q(|x|))`, meant where `large`.
  @inline(__always)
  static func erfParts(_ x: V) -> (small: V, tail: V, large: SIMDMask<SIMD16<Int32>>) {
    let a = x.replacing(with: -x, where: x .< 0)
    let s = x * x
    var p = V(repeating: 8.467_960_3e-5)
    p = p * s - 8.166_924_2e-4
    p = p * s + 5.203_270_4e-3
    p = p * s - 2.686_034_7e-2
    p = p * s + 1.128_371_36e-1
    p = p * s - 3.761_263_49e-1
    p = p * s + 1.283_791_66e-1
    var r = -1.728_534_70e-5 * a + 3.831_971_26e-4
    let u = -3.883_964_38e-3 * a + 2.425_462_19e-2
    r = r * s + u
    r = r * a - 1.067_778_77e-1
    r = r * a - 6.348_466_87e-1
    r = r * a - 1.287_175_12e-1
    r = r * a - a
    return (x + x * p, exp(r), a .> 0.927_734_375)
  }

  /// GELU, `x / 2 * (1 + erf(x / sqrt(2)))`. Below `-0.9277 sqrt(2)` the sum `1 + erf` is
  /// `erfc(|x| / sqrt(2))`, taken as it is rather than as `1 - (1 - erfc)`, so the far
  /// negative side keeps its relative accuracy.
  @inline(__always)
  static func gelu(_ x: V) -> V {
    let (small, tail, large) = erfParts(x * 0.707_106_77)
    var onePlusErf = 1 + small
    onePlusErf = onePlusErf.replacing(with: (2 - tail).replacing(with: tail, where: x .< 0), where: large)
    return x * 0.5 * onePlusErf
  }

  /// GELU's tanh approximation `x / 2 * (1 + tanh(u))`, `u = sqrt(2 / pi) (x + 0.044715 x³)`,
  /// computed as the equal `x / (1 + e^(-2u))` (no cancellation for negative x).
  @inline(__always)
  static func geluTanh(_ x: V) -> V {
    let u = x * (0.797_884_56 + 0.035_677_41 * x * x)
    return x / (1 + expForOnePlus(-2 * u))
  }

  /// `ln x` (Cephes' `logf`): `x = 2^e m` with `m` in [sqrt(1/2), sqrt(2)), a degree-9 polynomial
  /// in `m - 1`; subnormals scaled up first. Below 0 NaN, at 0 -inf, +inf and NaN as they are.
  @inline(__always)
  static func log(_ x: V) -> V {
    let subnormal = x .< Float.leastNormalMagnitude
    let scaled = x.replacing(with: x * 8_388_608, where: subnormal)
    let bits = unsafeBitCast(scaled, to: SIMD16<Int32>.self)
    var e = V(((bits &>> 23) & 0xFF) &- 126)
    e = e.replacing(with: e - 23, where: subnormal)
    // The mantissa with the exponent of 0.5: m in [0.5, 1).
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: V.self)
    let low = m .< 0.707_106_78
    e = e.replacing(with: e - 1, where: low)
    m = m.replacing(with: m + m, where: low) - 1
    let z = m * m
    var p = V(repeating: 7.037_683_629_2e-2)
    p = p * m - 1.151_461_031_0e-1
    p = p * m + 1.167_699_874_0e-1
    p = p * m - 1.242_014_084_6e-1
    p = p * m + 1.424_932_278_7e-1
    p = p * m - 1.666_805_766_5e-1
    p = p * m + 2.000_071_476_5e-1
    p = p * m - 2.499_999_399_3e-1
    p = p * m + 3.333_333_117_4e-1
    var y = p * m * z
    y = y + e * -2.121_944_4e-4
    y = y - 0.5 * z
    var r = m + y + e * 0.693_359_375
    r = r.replacing(with: -.infinity, where: x .== 0)
    r = r.replacing(with: .nan, where: x .< 0)
    r = r.replacing(with: x, where: x .== .infinity)
    return r.replacing(with: x, where: x .!= x)
  }

  /// `e^x - 1`, accurate near 0 too: Kahan's `(u - 1) x / ln u` with `u = e^x` for |x| ≤ 0.5
  /// (`x` itself where `u` rounds to 1), plain `u - 1` beyond.
  @inline(__always)
  static func expm1(_ x: V) -> V {
    let u = exp(x)
    var near = (u - 1) * x / log(u)
    near = near.replacing(with: x, where: u .== 1)
    let a = x.replacing(with: -x, where: x .< 0)
    return near.replacing(with: u - 1, where: .!(a .<= 0.5))
  }

  /// `ln(1 + e^x)` as `max(x, 0) + ln(1 + e^-|x|)`, the last by Goldberg's `ln(u) t / (u - 1)`,
  /// `u = 1 + t` (t itself where `u` rounds to 1), so the far negative side keeps its digits.
  @inline(__always)
  static func softplus(_ x: V) -> V {
    let a = x.replacing(with: -x, where: x .< 0)
    let t = exp(-a), u = 1 + t
    let tail = (log(u) * t / (u - 1)).replacing(with: t, where: u .== 1)
    return x.replacing(with: 0, where: x .< 0) + tail
  }
}
