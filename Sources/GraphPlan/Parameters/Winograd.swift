/// Winograd F(m x m, 3x3) (Lavin & Gray): each m x m output tile is
/// `Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A` for the (m + 2) x (m + 2) input tile `d` (stride m) and the
/// 3x3 kernel `g`. Per point `ξ` of the transformed tile the sum over input channels is one
/// GEMM, `[M, C] x [C, tiles]`, whose left operand `U[ξ] = (G g Gᵀ)[ξ]` the compiler computes
/// once.
///
/// Two tile sizes: F(4x4, 3x3) (points 0, ±1, ½, -2, ∞; 36 GEMMs, 4x fewer multiplications than
/// direct convolution) for maps of 12x12 and more, and F(2x2, 3x3) (points 0, ±1, ∞; 16 GEMMs,
/// 2.25x fewer) for small maps, where 4x4 tiles would leave too few columns per GEMM (a 7x7
/// output has 4 of them, against 16 of 2x2). The weight transform and its order are written
/// here once: the compiler stores ``transformWeights(_:outChannels:inChannels:)`` in the plan,
/// the runtime reads it in place.
public enum Winograd: Sendable, Equatable, BitwiseCopyable {
  case f2x2, f4x4

  /// The variant whose transformed weights a conv with this layout holds.
  public init?(_ layout: ConvWeightLayout) {
    switch layout {
    case .winograd2x2: self = .f2x2
    case .winograd4x4: self = .f4x4
    case .oihw, .gemmPanels: return nil
    }
  }

  public var weightLayout: ConvWeightLayout { self == .f2x2 ? .winograd2x2 : .winograd4x4 }

  /// Output tile side (m).
  public var outputTile: Int { self == .f2x2 ? 2 : 4 }
  /// Input tile side (m + r - 1).
  public var inputTile: Int { outputTile + 2 }
  /// Points of the transformed tile: the number of GEMMs.
  public var points: Int { inputTile * inputTile }

  /// `G` (`inputTile` x 3), the kernel transform. F(4x4) uses the points 0, 1, -1, ½, -2, ∞
  /// (Barabasz et al., "Error analysis and improving the accuracy of Winograd convolution for
  /// deep neural networks", 2020), not Lavin & Gray's 0, ±1, ±2, ∞: the same GEMMs (each
  /// transform takes an operation or so more), 1.5x less float32 rounding error per layer (RMS
  /// from an exact convolution, `WinogradConvTests`; 1.7x in a numpy model of the transforms);
  /// ResNet-50's output lands 1.5x closer to float64 PyTorch (3.2e-5 -> 2.2e-5 of its largest value).
  var g: [[Double]] {
    switch self {
    case .f2x2:
      return [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
    case .f4x4:
      // Row j: (1, p, p²) / Π_{l≠j}(p - p_l) for the finite point p, then ∞.
      return [
        [1, 0, 0],
        [1.0 / 3, 1.0 / 3, 1.0 / 3],
        [-1.0 / 3, 1.0 / 3, -1.0 / 3],
        [-16.0 / 15, -8.0 / 15, -4.0 / 15],
        [1.0 / 15, -2.0 / 15, 4.0 / 15],
        [0, 0, 1],
      ]
    }
  }

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

  /// Floats of the transformed weights of a conv: one matrix per point.
  public func weightCount(_ geometry: Conv2DGeometry) -> Int {
    points * Self.matrixCount(outChannels: geometry.outChannels, inChannels: geometry.inChannels)
  }

  /// `[M, C, 3, 3]` weights → one matrix `U[ξ][M][C]` per point, `ξ = inputTile * i + k` for
  /// the point `(i, k)` of `G g Gᵀ`, each packed as ``GemmPanels``. Computed in Float64,
  /// rounded once.
  package func transformWeights(_ w: UnsafeBufferPointer<Float>, outChannels m: Int, inChannels c: Int) -> [Float] {
    precondition(w.count == m * c * 9, "Winograd weights: \(w.count) floats for \(m)x\(c)x3x3")
    let g = self.g, side = inputTile
    var u = [[Float]](repeating: [Float](repeating: 0, count: m * c), count: points)
    for row in 0..<m {
      for ch in 0..<c {
        let k = w.baseAddress! + (row * c + ch) * 9
        // t = G g (side x 3), then U = t Gᵀ (side x side).
        var t = [Double](repeating: 0, count: side * 3)
        for i in 0..<side {
          for b in 0..<3 {
            var s = 0.0
            for a in 0..<3 { s += g[i][a] * Double(k[a * 3 + b]) }
            t[i * 3 + b] = s
          }
        }
        for i in 0..<side {
          for j in 0..<side {
            var s = 0.0
            for b in 0..<3 { s += t[i * 3 + b] * g[j][b] }
            u[i * side + j][row * c + ch] = Float(s)
          }
        }
      }
    }
    var out: [Float] = []
    out.reserveCapacity(points * Self.matrixCount(outChannels: m, inChannels: c))
    for xi in 0..<points {
      u[xi].withUnsafeBufferPointer { out += GemmPanels.pack($0, rows: m, depth: c) }
    }
    return out
  }
}
