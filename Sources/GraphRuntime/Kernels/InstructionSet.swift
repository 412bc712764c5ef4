import CPUFeatures
import Glibc
import KernelsGeneric
import KernelsHaswell

/// The instruction set the micro-kernels run with, chosen once from the CPU:
/// KernelsHaswell (AVX2 + FMA) where the CPU has it, KernelsGeneric elsewhere.
/// `GRAPHC_ISA=generic` in the environment forces the generic kernels.
package enum InstructionSet: String, Sendable {
  case haswell = "avx2+fma"
  case generic = "x86-64"

  /// The set this process uses.
  package static let current: InstructionSet = {
    if let forced = getenv("GRAPHC_ISA"), String(cString: forced) == "generic" { return .generic }
    return graphc_cpu_supports_avx2_fma() != 0 ? .haswell : .generic
  }()

  /// The 6 x 16 SGEMM register tile (see KernelsHaswell's `sgemmTile6x16`).
  @inline(__always)
  static func sgemmTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
  ) {
    switch current {
    case .haswell: KernelsHaswell.sgemmTile6x16(depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
    case .generic: KernelsGeneric.sgemmTile6x16(depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
    }
  }

  /// Four dot products' lanes, `lanes[r] += x[r] * y` (see KernelsHaswell's `dotProductLanes4`).
  @inline(__always)
  static func dotLanes4(
    _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>,
    _ y: UnsafePointer<Float>, count: Int, lanes: UnsafeMutablePointer<SIMD16<Float>>
  ) {
    switch current {
    case .haswell: KernelsHaswell.dotProductLanes4(x0, x1, x2, x3, y, count: count, lanes: lanes)
    case .generic: KernelsGeneric.dotProductLanes4(x0, x1, x2, x3, y, count: count, lanes: lanes)
    }
  }

  /// A dot product's lanes summed, plus its tail (see KernelsHaswell's `dotProductFinish`).
  @inline(__always)
  static func dotFinish(lanes: SIMD16<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    switch current {
    case .haswell: KernelsHaswell.dotProductFinish(lanes: lanes, x, y, count: count)
    case .generic: KernelsGeneric.dotProductFinish(lanes: lanes, x, y, count: count)
    }
  }

  /// Winograd F(4x4, 3x3) input transform of `groups * 8` tiles (see KernelsHaswell's `winogradInputTiles`).
  @inline(__always)
  static func winogradInput(
    rows: UnsafePointer<Float>, rowStride: Int, groups: Int, out: UnsafeMutablePointer<Float>, pointStride: Int
  ) {
    switch current {
    case .haswell: KernelsHaswell.winogradInputTiles(rows: rows, rowStride: rowStride, groups: groups, out: out, pointStride: pointStride)
    case .generic: KernelsGeneric.winogradInputTiles(rows: rows, rowStride: rowStride, groups: groups, out: out, pointStride: pointStride)
    }
  }

  /// Winograd F(4x4, 3x3) output transform plus bias (see KernelsHaswell's `winogradOutputTiles`).
  @inline(__always)
  static func winogradOutput(
    products: UnsafePointer<Float>, pointStride: Int, groups: Int, bias: Float, out: UnsafeMutablePointer<Float>, rowStride: Int
  ) {
    switch current {
    case .haswell:
      KernelsHaswell.winogradOutputTiles(
        products: products, pointStride: pointStride, groups: groups, bias: bias, out: out, rowStride: rowStride)
    case .generic:
      KernelsGeneric.winogradOutputTiles(
        products: products, pointStride: pointStride, groups: groups, bias: bias, out: out, rowStride: rowStride)
    }
  }
}
