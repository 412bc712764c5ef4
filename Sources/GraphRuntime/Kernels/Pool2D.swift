import GraphPlan
import KernelsGeneric

extension Kernels {
  /// Max or average pooling into a (possibly sliced) output, threads over channel planes.
  /// Same contract and bit-identical numbers as `Reference.pool2d` (GraphReference).
  ///
  /// Max pooling runs the instruction set's `maxPoolPlanes` (separable: row maxima, then column
  /// maxima; see KernelsHaswell's MaxPoolPlanes.swift) on each thread's scratch.
  ///
  /// Average pooling splits each output row by column: the **interior** columns, whose windows
  /// lie inside the input horizontally, go 8 (or, when fewer than 8, 4) at a time through vector
  /// loads with no bounds checks (the rows a window covers are clipped once per output row); the
  /// **border** columns on either side, and interiors narrower than 4, go one at a time over
  /// the taps inside the input only. Either way each output sums its taps in the reference's
  /// order (rows, then columns), so sums round identically.
  ///
  /// `axes` are `PoolAxes(p.geometry)`, which a session works out once per pool step (they are
  /// arrays, and a run allocates nothing).
  /// - Parameter kernels: the instruction set's kernels (tests pass each one the CPU runs).
  package static func pool2d(
    _ p: Pool2DParameters, axes: PoolAxes? = nil, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil, kernels: KernelTable = .current
  ) {
    // The loop reads the axes and the table through pointers (see `parallelFor`).
    withUnsafePointer(to: kernels) { kernels in
      if p.kind == .average {
        withUnsafePointer(to: axes ?? PoolAxes(p.geometry)) { axes in
          pool2d(p, axes: axes, input: input, output: output, pool: pool, kernels: kernels)
        }
      } else {
        pool2d(p, axes: nil, input: input, output: output, pool: pool, kernels: kernels)
      }
    }
  }

  private static func pool2d(
    _ p: Pool2DParameters, axes: UnsafePointer<PoolAxes>?, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool?, kernels: UnsafePointer<KernelTable>
  ) {
    let g = p.geometry
    let threads = pool?.threads ?? 1
    if axes == nil, let bands = MaxPoolBands(g, threads: threads) {
      maxPoolByBands(p, bands, input: input, output: output, pool: pool, kernels: kernels)
      return
    }
    // Max pooling takes its planes in blocks (one kernel call each), about four per thread
    // and image; average pooling one plane per task.
    let block = axes != nil ? 1 : max(1, g.channels / (4 * threads))
    let blocksPerImage = (g.channels + block - 1) / block
    parallelFor(pool, p.batch * blocksPerImage, (p, axes, input, output, kernels, block, blocksPerImage)) { context, task in
      let (p, axes, input, output, kernels, block, blocksPerImage) = context
      let g = p.geometry
      let n = task / blocksPerImage, c = (task % blocksPerImage) * block
      let planes = min(block, g.channels - c)
      let src = input + (n * g.channels + c) * g.inHeight * g.inWidth
      let dst = output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * g.outHeight * g.outWidth
      if let axes {
        poolPlane(p, axes.pointee, SumFold.self, input: src, output: dst)
      } else {
        maxPool(g, planes: planes, input: src, output: dst, kernels: kernels.pointee)
      }
    }
  }

  /// Max pooling of large planes by bands of output rows, one band per thread, each task a band
  /// of one plane: the thread that pools rows `oy0..<oy1` of every plane reads the input rows
  /// under them, which the conv before (split by output pixels) wrote on that thread, and the
  /// conv after reads them on it too. Split by planes, each thread read half its input from the
  /// other thread's cache and left half its output there: where the two vCPUs sat on different
  /// CCDs (Zen 2), ResNet-18's 3x3/2 pool after the stem took 0.23 ms at 2 threads by planes and
  /// 0.20 by bands, and the conv after it 4-5% less time.
  private static func maxPoolByBands(
    _ p: Pool2DParameters, _ bands: MaxPoolBands, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool?, kernels: UnsafePointer<KernelTable>
  ) {
    let g = p.geometry
    // Tasks go image by image, band by band, then plane by plane: each thread's share is its band.
    parallelFor(pool, p.batch * bands.count * g.channels, (p, bands, input, output, kernels)) { context, task in
      let (p, bands, input, output, kernels) = context
      let g = p.geometry
      let plane = task % g.channels, band = (task / g.channels) % bands.count, n = task / (g.channels * bands.count)
      let (rows, part) = bands.band(band)
      let src = input + ((n * g.channels + plane) * g.inHeight + rows.input) * g.inWidth
      let dst = output + ((n * p.outputTotalChannels + p.outputChannelOffset + plane) * g.outHeight + rows.output) * g.outWidth
      maxPool(part, planes: 1, input: src, output: dst, kernels: kernels.pointee)
    }
  }

  /// `planes` consecutive planes of `g` through the instruction set's `maxPoolPlanes`, on the
  /// calling thread's scratch.
  @inline(__always)
  private static func maxPool(
    _ g: Pool2DGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, kernels: KernelTable
  ) {
    let shape = g.window.shape
    let scratch = KernelsGeneric.maxPoolScratchCount(
      inHeight: g.inHeight, inWidth: g.inWidth, outHeight: g.outHeight, outWidth: g.outWidth, window: shape)
    kernels.maxPoolPlanes(input, g.inHeight, g.inWidth, output, g.outHeight, g.outWidth, shape, planes, ThreadScratch.floats(scratch))
  }

  /// Picks the interior's tap loads by horizontal stride.
  private static func poolPlane<F: PoolFold>(
    _ p: Pool2DParameters, _ axes: PoolAxes, _ fold: F.Type, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    switch p.geometry.window.strideWidth {
    case 1: poolPlane(p, axes, F.self, DenseTaps.self, input: input, output: output)
    case 2: poolPlane(p, axes, F.self, EvenTaps.self, input: input, output: output)
    default: poolPlane(p, axes, F.self, StridedTaps.self, input: input, output: output)
    }
  }

  /// One channel plane: per output row, the interior columns by vectors, then the border columns.
  private static func poolPlane<F: PoolFold, L: TapLoad>(
    _ p: Pool2DParameters, _ axes: PoolAxes, _: F.Type, _: L.Type, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let g = p.geometry, w = g.window
    let interior = axes.interiorColumns
    // Interiors of 4 to 7 columns go 4 at a time, narrower ones with the border.
    let vectors = interior.count >= 4 ? interior : interior.lowerBound..<interior.lowerBound
    for oy in 0..<g.outHeight {
      let y0 = oy &* w.strideHeight &- w.padTop
      let rows = axes.rows.inside[oy]
      let out = output + oy &* g.outWidth
      if !vectors.isEmpty {
        // Every interior window has all kernelWidth columns, in the input and in the padded input.
        let divisor = (p.countIncludePad ? axes.rows.paddedCounts[oy] : rows.count) * w.kernelWidth
        let row = InteriorRow(
          input: input, inWidth: g.inWidth, y0: y0, rows: rows, window: w, output: out, divisor: divisor)
        if vectors.count >= SIMD8<Float>.scalarCount {
          row.run(F.self, L.self, SIMD8<Float>.self, columns: vectors)
        } else {
          row.run(F.self, L.self, SIMD4<Float>.self, columns: vectors)
        }
      }
      for ox in 0..<vectors.lowerBound { out[ox] = borderOutput(p, axes, F.self, input: input, ox: ox, oy: oy) }
      for ox in vectors.upperBound..<g.outWidth { out[ox] = borderOutput(p, axes, F.self, input: input, ox: ox, oy: oy) }
    }
  }

  /// One output over the taps of its window that lie inside the input.
  @inline(__always)
  private static func borderOutput<F: PoolFold>(
    _ p: Pool2DParameters, _ axes: PoolAxes, _: F.Type, input: UnsafePointer<Float>, ox: Int, oy: Int
  ) -> Float {
    let g = p.geometry, w = g.window
    let x0 = ox &* w.strideWidth &- w.padLeft, y0 = oy &* w.strideHeight &- w.padTop
    let rows = axes.rows.inside[oy], cols = axes.columns.inside[ox]
    var acc = F.seed
    for ky in rows {
      let row = (y0 &+ ky &* w.dilationHeight) &* g.inWidth &+ x0
      for kx in cols { acc = F.fold(acc, input[row &+ kx &* w.dilationWidth]) }
    }
    let divisor =
      p.countIncludePad ? axes.rows.paddedCounts[oy] * axes.columns.paddedCounts[ox] : rows.count * cols.count
    return F.finish(acc, divisor: divisor)
  }

  /// Global average or max pool, `[n, c, h, w]` → `[n, c, 1, 1]`, threads over planes.
  package static func globalPool(
    _ kind: PoolKind, batch: Int, channels: Int, spatial: Int,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    // Small planes go several to a task: a task per 7x7 plane cost as much as its sum.
    let planes = batch * channels, perTask = max(1, 4096 / max(1, spatial))
    parallelFor(pool, (planes + perTask - 1) / perTask, (kind, spatial, input, output, planes, perTask)) { context, task in
      let (kind, spatial, input, output, planes, perTask) = context
      for plane in (task * perTask)..<min(planes, (task + 1) * perTask) {
        output[plane] = kind == .max ? planeMax(input + plane * spatial, spatial) : planeMean(input + plane * spatial, spatial)
      }
    }
  }

  /// The largest of `count` values, NaN if any is NaN (as ONNX Runtime).
  private static func planeMax(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var best = -Float.infinity
    var i = 0
    while i < count {
      let v = x[i]
      if v.isNaN { return v }
      if v > best { best = v }
      i += 1
    }
    return best
  }

  /// The mean of `count` values, summed in sixteen interleaved lanes of Double (a fixed order
  /// per count). Double, because finite floats near `Float.greatestFiniteMagnitude` whose mean
  /// is finite would overflow a Float sum to infinity (docs/numerics.md). Four lanes waited on
  /// each addition's latency: about one value a cycle, twice onnxruntime's time for
  /// EfficientNet-B0's 17 global pools.
  private static func planeMean(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var (low, high) = (SIMD8<Double>(), SIMD8<Double>())
    var i = 0
    while i + 16 <= count {
      let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
      low += SIMD8<Double>(v.lowHalf)
      high += SIMD8<Double>(v.highHalf)
      i += 16
    }
    var sum = (low + high).sum()
    while i < count {
      sum += Double(x[i])
      i += 1
    }
    return Float(sum / Double(count))
  }
}

/// Each output position's window taps along both axes, worked out once per pool step.
package struct PoolAxes: Sendable {
  /// Along the height, one entry per output row.
  let rows: WindowTaps
  /// Along the width, one entry per output column.
  let columns: WindowTaps
  /// The output columns whose windows lie inside the input horizontally.
  let interiorColumns: Range<Int>

  package init(_ g: Pool2DGeometry) {
    let w = g.window
    rows = WindowTaps(
      size: g.inHeight, outputs: g.outHeight, kernel: w.kernelHeight, stride: w.strideHeight, padBegin: w.padTop,
      padEnd: w.padBottom, dilation: w.dilationHeight)
    columns = WindowTaps(
      size: g.inWidth, outputs: g.outWidth, kernel: w.kernelWidth, stride: w.strideWidth, padBegin: w.padLeft,
      padEnd: w.padRight, dilation: w.dilationWidth)
    interiorColumns = KernelsGeneric.interiorOutputs(
      size: g.inWidth, outputs: g.outWidth, kernel: w.kernelWidth, stride: w.strideWidth, pad: w.padLeft,
      dilation: w.dilationWidth)
  }
}

/// Along one axis, for each output position: the window's taps inside the input, and how
/// many of its taps lie inside the padded input (the divisor with `countIncludePad`).
struct WindowTaps: Sendable {
  let inside: [Range<Int>]
  let paddedCounts: [Int]

  init(size: Int, outputs: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int, dilation: Int) {
    let starts = (0..<outputs).map { $0 * stride - padBegin }
    inside = starts.map { KernelsGeneric.windowTaps(start: $0, dilation: dilation, kernel: kernel, lo: 0, hi: size) }
    paddedCounts = starts.map {
      KernelsGeneric.windowTaps(start: $0, dilation: dilation, kernel: kernel, lo: -padBegin, hi: size + padEnd).count
    }
  }
}

/// The interior columns of one output row: windows inside the input horizontally, over the
/// input rows `rows` of the window (clipped to the input), `V.scalarCount` outputs at a time.
struct InteriorRow {
  let input: UnsafePointer<Float>
  let inWidth: Int
  /// The input row of the window's first tap (may be above the input).
  let y0: Int
  let rows: Range<Int>
  let window: Window2D
  let output: UnsafeMutablePointer<Float>
  /// What an average divides by (the same for every interior window of the row).
  let divisor: Int

  /// Outputs `columns` (at least `V.scalarCount` of them), two vectors at a time so two folds
  /// run side by side.
  @inline(__always)
  func run<F: PoolFold, L: TapLoad, V: PoolVector>(_: F.Type, _: L.Type, _: V.Type, columns: Range<Int>) {
    let lanes = V.scalarCount
    var ox = columns.lowerBound
    while ox &+ 2 &* lanes <= columns.upperBound {
      var a = V(repeating: F.seed), b = a
      let second = lanes &* window.strideWidth
      for ky in rows {
        var tap = start(ox, ky)
        for _ in 0..<window.kernelWidth {
          a = F.fold(a, L.load(tap, stride: window.strideWidth))
          b = F.fold(b, L.load(tap + second, stride: window.strideWidth))
          tap += window.dilationWidth
        }
      }
      store(F.finish(a, divisor: divisor), at: ox)
      store(F.finish(b, divisor: divisor), at: ox &+ lanes)
      ox &+= 2 &* lanes
    }
    // One or two vectors left; the last ends at the end, recomputing outputs of the one before.
    while ox < columns.upperBound {
      ox = min(ox, columns.upperBound &- lanes)
      var a = V(repeating: F.seed)
      for ky in rows {
        var tap = start(ox, ky)
        for _ in 0..<window.kernelWidth {
          a = F.fold(a, L.load(tap, stride: window.strideWidth))
          tap += window.dilationWidth
        }
      }
      store(F.finish(a, divisor: divisor), at: ox)
      ox &+= lanes
    }
  }

  /// The input element under tap (ky, 0) of output column `ox`.
  @inline(__always)
  private func start(_ ox: Int, _ ky: Int) -> UnsafePointer<Float> {
    input + ((y0 &+ ky &* window.dilationHeight) &* inWidth &+ ox &* window.strideWidth &- window.padLeft)
  }

  @inline(__always)
  private func store<V: PoolVector>(_ v: V, at ox: Int) {
    UnsafeMutableRawPointer(output + ox).storeBytes(of: v, as: V.self)
  }
}

/// The vector widths the interior runs at. Their arithmetic is spelled on the concrete types,
/// where it compiles to single vector instructions (generic `SIMD` code goes lane by lane).
protocol PoolVector: SIMD where Scalar == Float {
  /// `p[0..<scalarCount]`.
  static func dense(_ p: UnsafePointer<Float>) -> Self
  /// `p[0], p[2], ...`, reading nothing past the last of them.
  static func evens(_ p: UnsafePointer<Float>) -> Self
  static func sum(_ acc: Self, _ x: Self) -> Self
  static func quotient(_ acc: Self, _ divisor: Float) -> Self
  /// `x` in the lanes where it is greater than `acc` or NaN, else `acc` (``MaxFold``, PoolND.swift).
  static func maxKeepingNaN(_ acc: Self, _ x: Self) -> Self
}

extension SIMD8<Float>: PoolVector {
  @inline(__always) static func dense(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
  /// From four 4-wide loads of `p[0...14]` and two shuffles.
  @inline(__always) static func evens(_ p: UnsafePointer<Float>) -> Self {
    let a = SIMD4.dense(p), b = SIMD4.dense(p + 4), c = SIMD4.dense(p + 7), d = SIMD4.dense(p + 11)
    return Self(lowHalf: SIMD4(a[0], a[2], b[0], b[2]), highHalf: SIMD4(c[1], c[3], d[1], d[3]))
  }
  @inline(__always) static func sum(_ acc: Self, _ x: Self) -> Self { acc + x }
  @inline(__always) static func quotient(_ acc: Self, _ divisor: Float) -> Self { acc / Self(repeating: divisor) }
  @inline(__always) static func maxKeepingNaN(_ acc: Self, _ x: Self) -> Self { acc.replacing(with: x, where: x .> acc .| x .!= x) }
}

extension SIMD4<Float>: PoolVector {
  @inline(__always) static func dense(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
  /// From 4-wide loads of `p[0...3]` and `p[3...6]`.
  @inline(__always) static func evens(_ p: UnsafePointer<Float>) -> Self {
    let a = dense(p), b = dense(p + 3)
    return Self(a[0], a[2], b[1], b[3])
  }
  @inline(__always) static func sum(_ acc: Self, _ x: Self) -> Self { acc + x }
  @inline(__always) static func quotient(_ acc: Self, _ divisor: Float) -> Self { acc / Self(repeating: divisor) }
  @inline(__always) static func maxKeepingNaN(_ acc: Self, _ x: Self) -> Self { acc.replacing(with: x, where: x .> acc .| x .!= x) }
}

/// How a pool folds the taps of a window, one output (`Float`) or a vector of them at a time,
/// starting from `seed`, and turns the result into the output.
protocol PoolFold {
  /// The fold's starting value.
  static var seed: Float { get }
  static func fold(_ acc: Float, _ x: Float) -> Float
  static func fold<V: PoolVector>(_ acc: V, _ x: V) -> V
  /// Whether the output is the fold divided by the window's tap count (average).
  static var divides: Bool { get }
}

extension PoolFold {
  static var divides: Bool { false }

  /// The output: the fold, or for an average the fold over `divisor` (0 without taps).
  @inline(__always)
  static func finish(_ acc: Float, divisor: Int) -> Float {
    guard divides else { return acc }
    return divisor == 0 ? 0 : acc / Float(divisor)
  }

  @inline(__always)
  static func finish<V: PoolVector>(_ acc: V, divisor: Int) -> V {
    guard divides else { return acc }
    return divisor == 0 ? V(repeating: 0) : V.quotient(acc, Float(divisor))
  }
}

/// Sum, divided by the window's tap count at the end.
enum SumFold: PoolFold {
  static var seed: Float { 0 }
  static var divides: Bool { true }
  @inline(__always) static func fold(_ acc: Float, _ x: Float) -> Float { acc + x }
  @inline(__always) static func fold<V: PoolVector>(_ acc: V, _ x: V) -> V { V.sum(acc, x) }
}

/// How a vector of interior outputs reads one tap: lane `i` reads `p[i * stride]`, and
/// nothing past the last lane's element (so no load leaves the input).
protocol TapLoad {
  static func load<V: PoolVector>(_ p: UnsafePointer<Float>, stride: Int) -> V
}

/// Stride 1: one unaligned load.
enum DenseTaps: TapLoad {
  @inline(__always) static func load<V: PoolVector>(_ p: UnsafePointer<Float>, stride: Int) -> V { V.dense(p) }
}

/// Stride 2: loads and shuffles.
enum EvenTaps: TapLoad {
  @inline(__always) static func load<V: PoolVector>(_ p: UnsafePointer<Float>, stride: Int) -> V { V.evens(p) }
}

/// Any other stride: lane by lane.
enum StridedTaps: TapLoad {
  @inline(__always) static func load<V: PoolVector>(_ p: UnsafePointer<Float>, stride: Int) -> V {
    var v = V()
    for i in 0..<V.scalarCount { v[i] = p[i &* stride] }
    return v
  }
}
