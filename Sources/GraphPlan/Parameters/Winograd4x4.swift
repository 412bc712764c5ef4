/// Winograd F(4x4, 3x3) (Lavin & Gray, interpolation points 0, ±1, ±2, ∞): each 4x4 output
/// tile is `Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A` for the 6x6 input tile `d` (stride 4) and the 3x3
/// kernel `g`. Per point `ξ` of the 6x6 product the sum over input channels is one GEMM,
/// `[M, C] x [C, tiles]`, whose left operand `U[ξ] = (G g Gᵀ)[ξ]` the compiler computes once.
///
/// The weight transform and its order are written here once: the compiler stores
/// ``transformWeights(_:outChannels:inChannels:)`` in the plan, the runtime reads it in place.
public enum Winograd4x4 {
  /// Output tile side (m).
  public static let outputTile = 4
  /// Input tile side (m + r - 1).
  public static let inputTile = 6
  /// Points of the transformed tile (6 x 6): the number of GEMMs.
  public static let points = 36

  /// `G` (6 x 3), the kernel transform.
  static let g: [[Double]] = [
    [1.0 / 4, 0, 0],
    [-1.0 / 6, -1.0 / 6, -1.0 / 6],
    [-1.0 / 6, 1.0 / 6, -1.0 / 6],
    [1.0 / 24, 1.0 / 12, 1.0 / 6],
    [1.0 / 24, -1.0 / 12, 1.0 / 6],
    [0, 0, 1],
  ]

  /// Whether the algorithm computes this convolution at all: a 3x3 window, stride 1,
  /// dilation 1, one group (any padding). Whether it is worth it is the compiler's choice.
  public static func applies(to geometry: Conv2DGeometry) -> Bool {
    let w = geometry.window
    return w.kernelHeight == 3 && w.kernelWidth == 3 && w.strideHeight == 1 && w.strideWidth == 1
      && w.dilationHeight == 1 && w.dilationWidth == 1 && geometry.groups == 1
  }

  /// Floats of one transformed matrix `U[ξ]` (`[M, C]` as ``GemmPanels``).
  public static func matrixCount(outChannels m: Int, inChannels c: Int) -> Int {
    GemmPanels.count(rows: m, depth: c)
  }

  /// Floats of the transformed weights of a conv: 36 matrices.
  public static func weightCount(_ geometry: Conv2DGeometry) -> Int {
    points * matrixCount(outChannels: geometry.outChannels, inChannels: geometry.inChannels)
  }

  /// `[M, C, 3, 3]` weights → 36 matrices `U[ξ][M][C]`, `ξ = 6 * i + k` for the point
  /// `(i, k)` of `G g Gᵀ`, each packed as ``GemmPanels``. Computed in Float64, rounded once.
  package static func transformWeights(_ w: UnsafeBufferPointer<Float>, outChannels m: Int, inChannels c: Int) -> [Float] {
    precondition(w.count == m * c * 9, "Winograd weights: \(w.count) floats for \(m)x\(c)x3x3")
    var u = [[Float]](repeating: [Float](repeating: 0, count: m * c), count: points)
    for row in 0..<m {
      for ch in 0..<c {
        let k = w.baseAddress! + (row * c + ch) * 9
        // t = G g (6 x 3), then U = t Gᵀ (6 x 6).
        var t = [Double](repeating: 0, count: 18)
        for i in 0..<6 {
          for b in 0..<3 {
            var s = 0.0
            for a in 0..<3 { s += g[i][a] * Double(k[a * 3 + b]) }
            t[i * 3 + b] = s
          }
        }
        for i in 0..<6 {
          for j in 0..<6 {
            var s = 0.0
            for b in 0..<3 { s += t[i * 3 + b] * g[j][b] }
            u[i * 6 + j][row * c + ch] = Float(s)
          }
        }
      }
    }
    var out: [Float] = []
    out.reserveCapacity(points * matrixCount(outChannels: m, inChannels: c))
    for xi in 0..<points {
      u[xi].withUnsafeBufferPointer { out += GemmPanels.pack($0, rows: m, depth: c) }
    }
    return out
  }
}
