/// A small deterministic random generator (SplitMix64) for the zoo's seeded weights.
///
/// Everything here uses only IEEE +, -, *, / and sqrt (correctly rounded everywhere),
/// and its own `log`, `sin` and `cos` polynomials, so the same seed gives the same
/// bits on every machine and libm. No Foundation or system randomness is involved.
public struct SeededRandom: Sendable {
  public private(set) var state: UInt64
  private var spare: Double?

  public init(seed: UInt64) {
    state = seed
    spare = nil
  }

  /// A seed derived from a string (64-bit FNV-1a of its UTF-8 bytes), stable across runs.
  public init(name: String) {
    self.init(seed: SeededRandom.hash(name))
  }

  /// 64-bit FNV-1a; unlike `Hasher`, the same on every run and machine.
  public static func hash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in s.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01b3
    }
    return h
  }

  /// The next 64 random bits (SplitMix64).
  @inline(__always)
  public mutating func next() -> UInt64 {
    state = state &+ 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1), 53 random bits.
  @inline(__always)
  public mutating func nextUnit() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// Uniform in [low, high).
  @inline(__always)
  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * nextUnit()
  }

  /// Standard normal through Box-Muller; values come in pairs, the second is kept for the next call.
  @inline(__always)
  public mutating func normal() -> Double {
    if let s = spare {
      spare = nil
      return s
    }
    let (a, b) = normalPair()
    spare = b
    return a
  }

  /// Two independent standard normals (Box-Muller).
  @inline(__always)
  public mutating func normalPair() -> (Double, Double) {
    let u1 = Double((next() >> 11) + 1) * 0x1p-53  // (0, 1]: log is finite
    let u2 = nextUnit()
    let r = (-2 * SeededRandom.log(u1)).squareRoot()
    let (s, c) = SeededRandom.sinCosTurns(u2)
    return (r * c, r * s)
  }

  /// `count` normals N(mean, std²) as Float.
  public mutating func normalFloats(count: Int, mean: Double = 0, std: Double) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      var i = 0
      while i + 1 < count {
        let (a, b) = normalPair()
        buffer[i] = Float(mean + std * a)
        buffer[i + 1] = Float(mean + std * b)
        i += 2
      }
      if i < count { buffer[i] = Float(mean + std * normalPair().0) }
      initialized = count
    }
  }

  /// `count` uniforms in [low, high) as Float.
  public mutating func uniformFloats(count: Int, low: Double, high: Double) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      for i in 0..<count { buffer[i] = Float(uniform(low, high)) }
      initialized = count
    }
  }

  // MARK: - Portable elementary functions

  /// Natural log of a positive normal `x`: x = m·2^e with m in [√½, √2), log m = 2·atanh((m-1)/(m+1)).
  @inline(__always)
  static func log(_ x: Double) -> Double {
    let bits = x.bitPattern
    var e = Double(Int((bits >> 52) & 0x7ff) - 1023)
    var m = Double(bitPattern: (bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)  // [1, 2)
    if m > 1.4142135623730951 {
      m *= 0.5
      e += 1
    }
    let s = (m - 1) / (m + 1)  // |s| <= 0.1716
    let s2 = s * s
    // 2·(s + s³/3 + ... + s¹⁹/19); the truncation error is below 1e-17.
    var p = 1.0 / 19
    p = p * s2 + 1.0 / 17
    p = p * s2 + 1.0 / 15
    p = p * s2 + 1.0 / 13
    p = p * s2 + 1.0 / 11
    p = p * s2 + 1.0 / 9
    p = p * s2 + 1.0 / 7
    p = p * s2 + 1.0 / 5
    p = p * s2 + 1.0 / 3
    p = p * s2 + 1
    return e * 0.6931471805599453 + 2 * s * p
  }

  /// (sin, cos) of the angle 2π·t for t in [0, 1), reduced to an eighth of a turn.
  @inline(__always)
  static func sinCosTurns(_ t: Double) -> (Double, Double) {
    let q = t * 8  // octant
    let k = Int(q)
    var f = q - Double(k)  // [0, 1) within the octant
    // Odd octants run backwards from the next multiple of 45°.
    let odd = k & 1 == 1
    if odd { f = 1 - f }
    let x = f * 0.7853981633974483  // [0, π/4]
    let x2 = x * x
    // Taylor series to x¹⁷ / x¹⁶: error below 1e-17 on [0, π/4].
    var sp = -1.0 / 355_687_428_096_000
    sp = sp * x2 + 1.0 / 1_307_674_368_000
    sp = sp * x2 - 1.0 / 6_227_020_800
    sp = sp * x2 + 1.0 / 39_916_800
    sp = sp * x2 - 1.0 / 362_880
    sp = sp * x2 + 1.0 / 5040
    sp = sp * x2 - 1.0 / 120
    sp = sp * x2 + 1.0 / 6
    let sinX = x - x * x2 * sp
    var cp = 1.0 / 20_922_789_888_000
    cp = cp * x2 - 1.0 / 87_178_291_200
    cp = cp * x2 + 1.0 / 479_001_600
    cp = cp * x2 - 1.0 / 3_628_800
    cp = cp * x2 + 1.0 / 40320
    cp = cp * x2 - 1.0 / 720
    cp = cp * x2 + 1.0 / 24
    cp = cp * x2 - 1.0 / 2
    let cosX = 1 + x2 * cp
    // Angle = k·45° ± x. Within each octant pair, map to the quadrant's sin/cos.
    // Octants 0,1 → quadrant 0; 2,3 → 1; ...; in odd octants x measures from (k+1)·45°,
    // i.e. angle = (k+1)·45° - x, so relative to the quadrant start it is 90° - x.
    let (s0, c0) = odd ? (cosX, sinX) : (sinX, cosX)  // sin/cos of the angle within its quadrant
    switch (k >> 1) & 3 {
    case 0: return (s0, c0)
    case 1: return (c0, -s0)
    case 2: return (-s0, -c0)
    default: return (-c0, s0)
    }
  }
}
