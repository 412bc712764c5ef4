import GraphPlan
import CPUFeatures
import KernelsGeneric
import KernelsHaswell
import KernelsSkylakeX

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The instruction set the micro-kernels run with, chosen once from the CPU:
/// KernelsSkylakeX (AVX-512) where the CPU and OS have it, else KernelsHaswell (AVX2 + FMA),
/// else KernelsGeneric. `GRAPHC_ISA=avx2` or `GRAPHC_ISA=generic` in the environment caps
/// the choice (a set the CPU lacks is never chosen).
package enum InstructionSet: String, Sendable, CaseIterable {
  case skylakeX = "avx512"
  case haswell = "avx2+fma"
  case generic = "x86-64"

  /// The set this process uses.
  package static let current: InstructionSet = {
    let cap = getenv("GRAPHC_ISA").map { String(cString: $0) }
    let allowed: [InstructionSet] =
      switch cap {
      case "generic": [.generic]
      case "avx2": [.haswell, .generic]
      default: allCases
      }
    return allowed.first(where: \.isSupported) ?? .generic
  }()

  /// Whether this CPU runs the set's kernels.
  package var isSupported: Bool {
    switch self {
    case .skylakeX: graphc_cpu_supports_avx512f() != 0
    case .haswell: graphc_cpu_supports_avx2_fma() != 0
    case .generic: true
    }
  }

  /// The set's kernels.
  package var kernels: KernelTable {
    switch self {
    case .skylakeX: .skylakeX
    case .haswell: .haswell
    case .generic: .generic
    }
  }
}

/// One instruction set's kernels, as plain function values with the tile shape they need.
/// ``KernelTable/current`` is chosen once per process; SGEMM takes a table so that tests can
/// run any table the CPU supports.
package struct KernelTable: Sendable {
  package typealias Tile = @Sendable (
    _ depth: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ accumulate: Bool, _ rowBias: UnsafePointer<Float>?, _ lower: Float, _ upper: Float,
    _ residual: UnsafePointer<Float>?, _ ldr: Int
  ) -> Void
  package typealias ShiftedTile = @Sendable (
    _ depth: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ rowBias: UnsafePointer<Float>?, _ lower: Float, _ upper: Float,
    _ residual: UnsafePointer<Float>?, _ ldr: Int
  ) -> Void
  /// A tile over B's rows where they lie, `ldb` floats apart (see `sgemmTile6x16Strided`).
  package typealias StridedTile = @Sendable (
    _ depth: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ accumulate: Bool, _ rowBias: UnsafePointer<Float>?, _ lower: Float, _ upper: Float,
    _ residual: UnsafePointer<Float>?, _ ldr: Int
  ) -> Void
  /// One register tile over packed panels of B and over B's rows in place: the same bits.
  package struct TileForms: Sendable {
    package let packed: Tile, strided: StridedTile
    package init(packed: @escaping Tile, strided: @escaping StridedTile) { (self.packed, self.strided) = (packed, strided) }
  }
  package typealias NarrowTiles = @Sendable (
    _ depth: Int, _ a: UnsafePointer<Float>, _ panels: Int, _ b: UnsafePointer<Float>, _ width: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
  ) -> Int
  package typealias DotLanes4 = @Sendable (
    UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int,
    UnsafeMutablePointer<SIMD16<Float>>
  ) -> Void
  package typealias DotLanes1 = @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, Int, UnsafeMutablePointer<SIMD16<Float>>) -> Void
  package typealias DotColumns4 = @Sendable (
    _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ yStride: Int, _ count: Int,
    _ lanes: UnsafeMutablePointer<SIMD16<Float>>, _ laneStride: Int
  ) -> Void
  package typealias DotFinishColumns = @Sendable (
    _ lanes: UnsafePointer<SIMD16<Float>>, _ laneStride: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
    _ yStride: Int, _ count: Int, _ columns: Int, _ out: UnsafeMutablePointer<Float>
  ) -> Void
  package typealias WinogradInput = @Sendable (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, Int) -> Void
  package typealias WinogradOutput = @Sendable (UnsafePointer<Float>, Int, Int, Float, UnsafeMutablePointer<Float>, Int) -> Void
  package typealias DepthwisePlane = @Sendable (
    _ source: UnsafePointer<Float>, _ padding: KernelsGeneric.DepthwisePadding, _ scratch: UnsafeMutablePointer<Float>,
    _ shape: KernelsGeneric.DepthwisePlaneShape, _ weights: UnsafePointer<Float>,
    _ columnOffsets: UnsafePointer<Int>, _ bias: Float, _ residual: UnsafePointer<Float>?, _ lower: Float, _ upper: Float,
    _ output: UnsafeMutablePointer<Float>
  ) -> Void
  package typealias DepthwiseChannelBlock = @Sendable (
    _ input: UnsafePointer<Float>, _ inputPlane: Int, _ channels: Int, _ shape: KernelsGeneric.DepthwiseBlockShape,
    _ outputRows: Range<Int>, _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ residual: UnsafePointer<Float>?, _ lower: Float,
    _ upper: Float, _ rowActivation: Int, _ scratch: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>
  ) -> Void
  package typealias MaxPoolPlanes = @Sendable (
    _ input: UnsafePointer<Float>, _ inHeight: Int, _ inWidth: Int, _ output: UnsafeMutablePointer<Float>, _ outHeight: Int,
    _ outWidth: Int, _ window: KernelsGeneric.WindowShape, _ planes: Int, _ scratch: UnsafeMutablePointer<Float>
  ) -> Void
  package typealias Im2ColRun = @Sendable (
    _ image: UnsafePointer<Float>, _ inHeight: Int, _ inWidth: Int, _ window: KernelsGeneric.WindowShape, _ oy: Int, _ ox: Int,
    _ count: Int, _ p0: Int, _ depth: Int, _ out: UnsafeMutablePointer<Float>
  ) -> Void
  package typealias ClampedStoreRow = @Sendable (
    _ src: UnsafePointer<Float>, _ count: Int, _ dst: UnsafeMutablePointer<Float>, _ alpha: Float, _ rowBias: Float,
    _ colBias: UnsafePointer<Float>?, _ residual: UnsafePointer<Float>?, _ lower: Float, _ upper: Float
  ) -> Void
  package typealias PackRows16 = @Sendable (
    _ src: UnsafePointer<Float>, _ rowStride: Int, _ depth: Int, _ panels: Int, _ out: UnsafeMutablePointer<Float>
  ) -> Void
  package typealias ActivationRow = @Sendable (
    _ kind: Int, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int
  ) -> Void

  /// The 6 x 16 register tile over one packed panel of A (see KernelsHaswell's `sgemmTile6x16`).
  let tile6: Tile
  /// The 6 x 8 tile: the first 8 columns of `tile6`'s, bit for bit (see `sgemmTile6x8`).
  let tile6x8: Tile
  /// A tile over two consecutive panels of A (12 x 16, see `sgemmTile12x16`), or nil where
  /// the registers do not hold it (AVX2's 16): SGEMM then uses `tile6` only. (Settable so
  /// that tests can compare paths; `tile6` and `tile6x8` give the bits every path must.)
  package var tile12: TileForms?
  /// A tile over two A panels and two consecutive B panels (12 x 32, see `sgemmTile12x32`),
  /// or nil where the registers do not hold it: SGEMM then takes the B panels one at a time.
  package var tile12x32: TileForms?
  /// `tile6` over B's rows where they lie (see `sgemmTile6x16Strided`).
  let tile6Strided: StridedTile
  /// `tile6` in both forms.
  var tile6Forms: TileForms { TileForms(packed: tile6, strided: tile6Strided) }
  /// The 6 x 16 tile over rows of B read where they lie (see `sgemmTile6x16Shifted`): `tile6`'s bits.
  let tile6Shifted: ShiftedTile
  /// Groups of panels against a last B panel of 1 or 2 columns, the same bits as `tile6x8`
  /// (see `sgemmTileNarrow`); returns the panels it did.
  package var narrowTiles: NarrowTiles
  /// Four dot products' lanes, `lanes[r] += x[r] * y` (see `dotProductLanes4`).
  let dotLanes4: DotLanes4
  /// One dot product's lanes (see `dotProductLanes1`).
  let dotLanes1: DotLanes1
  /// One row's dot products with four weight rows, four streams at once (see
  /// `dotProductLanesColumns4`): the same lanes as `dotLanes1` on each.
  let dotColumns4: DotColumns4
  /// A row's dot products' lanes summed, plus their tails (see `dotProductFinishColumns`).
  let dotFinishColumns: DotFinishColumns
  /// Winograd F(4x4, 3x3) input transform of `groups * 8` tiles (see `winogradInputTiles`).
  let winogradInput: WinogradInput
  /// Winograd F(4x4, 3x3) output transform plus bias (see `winogradOutputTiles`).
  let winogradOutput: WinogradOutput
  /// Winograd F(2x2, 3x3) input transform (see `winograd2InputTiles`).
  let winograd2Input: WinogradInput
  /// Winograd F(2x2, 3x3) output transform plus bias (see `winograd2OutputTiles`).
  let winograd2Output: WinogradOutput
  /// One output plane of a depthwise convolution, its input padded first (see `depthwisePlane`).
  let depthwisePlane: DepthwisePlane
  /// Up to 16 channels of a depthwise convolution over small planes, vectors across channels
  /// (see `depthwiseChannelBlock`).
  let depthwiseChannelBlock: DepthwiseChannelBlock
  /// An activation over a row: the exp-based ones and HardSwish (see `activationRow`).
  let activationRow: ActivationRow
  /// Max pooling of consecutive channel planes (see `maxPoolPlanes`).
  let maxPoolPlanes: MaxPoolPlanes
  /// The GEMM's store of a row of sums with a clamp for activation (see `clampedStoreRow`).
  let clampedStoreRow: ClampedStoreRow
  /// One run of a GEMM panel packed from a convolution's images (see `im2colRun`).
  let im2colRun: Im2ColRun
  /// GEMM panels of B from contiguous columns, row by row (see `packRows16`).
  let packRows16: PackRows16
  /// Whether a 1x1 convolution's GEMM reads its input planes in place rather than packing
  /// them (see ``SGEMM/PanelsOfB``). Each B row is read once per tile of A rows, from L2 for a
  /// large map, and a tile's strided rows stream worse than a packed panel. With AVX-512's
  /// 12-row tiles that is half as often and reading in place measured faster (Zen 4: ResNet-50
  /// 0.988 at 1 thread); AVX2's 6-row tiles ran the 1x1 convs 3-17% slower in place than packed
  /// (Zen 2, one layer at a time; most at 7x7, whose 196-byte rows straddle cache lines).
  /// Winograd's transformed input is compact and read in place on every table.
  var readsImagePlanesInPlace: Bool { tile12 != nil }

  /// The kernels of ``InstructionSet/current``.
  package static let current = InstructionSet.current.kernels

  package static let skylakeX = KernelTable(
    tile6: KernelsSkylakeX.sgemmTile6x16, tile6x8: KernelsSkylakeX.sgemmTile6x8, tile12: TileForms(packed: KernelsSkylakeX.sgemmTile12x16, strided: KernelsSkylakeX.sgemmTile12x16Strided),
    tile12x32: TileForms(packed: KernelsSkylakeX.sgemmTile12x32, strided: KernelsSkylakeX.sgemmTile12x32Strided),
    tile6Strided: KernelsSkylakeX.sgemmTile6x16Strided,
    tile6Shifted: KernelsSkylakeX.sgemmTile6x16Shifted, narrowTiles: KernelsSkylakeX.sgemmTileNarrow,
    dotLanes4: KernelsSkylakeX.dotProductLanes4, dotLanes1: KernelsSkylakeX.dotProductLanes1, dotColumns4: KernelsSkylakeX.dotProductLanesColumns4,
    dotFinishColumns: KernelsSkylakeX.dotProductFinishColumns,
    winogradInput: KernelsSkylakeX.winogradInputTiles, winogradOutput: KernelsSkylakeX.winogradOutputTiles,
    winograd2Input: KernelsSkylakeX.winograd2InputTiles, winograd2Output: KernelsSkylakeX.winograd2OutputTiles,
    depthwisePlane: KernelsSkylakeX.depthwisePlane, depthwiseChannelBlock: KernelsSkylakeX.depthwiseChannelBlock,
    activationRow: KernelsSkylakeX.activationRow,
    maxPoolPlanes: KernelsSkylakeX.maxPoolPlanes, clampedStoreRow: KernelsSkylakeX.clampedStoreRow, im2colRun: KernelsSkylakeX.im2colRun,
    packRows16: KernelsSkylakeX.packRows16)

  package static let haswell = KernelTable(
    tile6: KernelsHaswell.sgemmTile6x16, tile6x8: KernelsHaswell.sgemmTile6x8, tile12: nil, tile12x32: nil,
    tile6Strided: KernelsHaswell.sgemmTile6x16Strided,
    tile6Shifted: KernelsHaswell.sgemmTile6x16Shifted, narrowTiles: KernelsHaswell.sgemmTileNarrow,
    dotLanes4: KernelsHaswell.dotProductLanes4, dotLanes1: KernelsHaswell.dotProductLanes1, dotColumns4: KernelsHaswell.dotProductLanesColumns4,
    dotFinishColumns: KernelsHaswell.dotProductFinishColumns,
    winogradInput: KernelsHaswell.winogradInputTiles, winogradOutput: KernelsHaswell.winogradOutputTiles,
    winograd2Input: KernelsHaswell.winograd2InputTiles, winograd2Output: KernelsHaswell.winograd2OutputTiles,
    depthwisePlane: KernelsHaswell.depthwisePlane, depthwiseChannelBlock: KernelsHaswell.depthwiseChannelBlock,
    activationRow: KernelsHaswell.activationRow,
    maxPoolPlanes: KernelsHaswell.maxPoolPlanes, clampedStoreRow: KernelsHaswell.clampedStoreRow, im2colRun: KernelsHaswell.im2colRun,
    packRows16: KernelsHaswell.packRows16)

  package static let generic = KernelTable(
    tile6: KernelsGeneric.sgemmTile6x16, tile6x8: KernelsGeneric.sgemmTile6x8, tile12: nil, tile12x32: nil,
    tile6Strided: KernelsGeneric.sgemmTile6x16Strided,
    tile6Shifted: KernelsGeneric.sgemmTile6x16Shifted, narrowTiles: KernelsGeneric.sgemmTileNarrow,
    dotLanes4: KernelsGeneric.dotProductLanes4, dotLanes1: KernelsGeneric.dotProductLanes1, dotColumns4: KernelsGeneric.dotProductLanesColumns4,
    dotFinishColumns: KernelsGeneric.dotProductFinishColumns,
    winogradInput: KernelsGeneric.winogradInputTiles, winogradOutput: KernelsGeneric.winogradOutputTiles,
    winograd2Input: KernelsGeneric.winograd2InputTiles, winograd2Output: KernelsGeneric.winograd2OutputTiles,
    depthwisePlane: KernelsGeneric.depthwisePlane, depthwiseChannelBlock: KernelsGeneric.depthwiseChannelBlock,
    activationRow: KernelsGeneric.activationRow,
    maxPoolPlanes: KernelsGeneric.maxPoolPlanes, clampedStoreRow: KernelsGeneric.clampedStoreRow, im2colRun: KernelsGeneric.im2colRun,
    packRows16: KernelsGeneric.packRows16)

  /// The input and output transforms of a Winograd variant.
  func winograd(_ variant: Winograd) -> (input: WinogradInput, output: WinogradOutput) {
    variant == .f4x4 ? (winogradInput, winogradOutput) : (winograd2Input, winograd2Output)
  }
}
