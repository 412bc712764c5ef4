import GraphPlan

/// A read-only matrix with arbitrary strides: element `(i, j)` is `base[i * rowStride + j * colStride]`.
/// Transposed operands are just views with swapped strides; packing absorbs the difference.
///
/// The columns may come in groups of `columnsPerGroup`, `groupStride` floats apart (a batch
/// of images side by side): column `j` is then column `j % columnsPerGroup` of group
/// `j / columnsPerGroup`.
struct MatrixView {
  var base: UnsafePointer<Float>
  var rowStride: Int
  var colStride: Int
  var columnsPerGroup = Int.max
  var groupStride = 0

  /// Offset of column `j` from `base`.
  @inline(__always)
  func columnOffset(_ j: Int) -> Int {
    columnsPerGroup == .max ? j * colStride : (j / columnsPerGroup) * groupStride + (j % columnsPerGroup) * colStride
  }

  /// Whether columns `j ..< j + count` are one contiguous run in memory.
  @inline(__always)
  func isContiguous(_ j: Int, count: Int) -> Bool {
    colStride == 1 && (columnsPerGroup == .max || j / columnsPerGroup == (j + count - 1) / columnsPerGroup)
  }

  static func rowMajor(_ base: UnsafePointer<Float>, columns: Int) -> MatrixView {
    MatrixView(base: base, rowStride: columns, colStride: 1)
  }

  static func transposed(_ base: UnsafePointer<Float>, rows: Int) -> MatrixView {
    MatrixView(base: base, rowStride: 1, colStride: rows)
  }
}

/// How a finished `[m, n]` accumulator block reaches memory:
/// `c[i * ldc + j] = activation(alpha * acc + rowBias[i] + colBias[j] + residual[i * ldr + j])`.
///
/// With `columnsPerImage`, the columns are several images side by side (a convolution's
/// batch in one GEMM): column `j` is then column `j % columnsPerImage` of image
/// `j / columnsPerImage`, whose output starts `imageStride` floats (residual:
/// `residualImageStride`) after the previous image's.
struct GemmStore {
  var c: UnsafeMutablePointer<Float>
  var ldc: Int
  var alpha: Float = 1
  var rowBias: UnsafePointer<Float>? = nil
  var colBias: UnsafePointer<Float>? = nil
  var residual: UnsafePointer<Float>? = nil
  var ldr: Int = 0
  var activation: Activation = .none
  var columnsPerImage = Int.max
  var imageStride = 0
  var residualImageStride = 0

  /// Whether `c` has room for whole register tiles: rows up to a multiple of 6 (`mr`) and
  /// columns up to a multiple of 16 (`nr`) past `m` and `n`, which the GEMM may overwrite.
  /// With ``isPlain``, the tiles then accumulate in `c` directly.
  var holdsWholeTiles = false

  /// Whether the store writes the accumulator as it is.
  var isPlain: Bool {
    alpha == 1 && rowBias == nil && colBias == nil && residual == nil && activation == .none
  }
}

/// The GEMM's left operand: any strided matrix, packed per block as it is used, or
/// already packed in ``GemmPanels`` order (conv weights the compiler packed).
enum GemmLeft {
  case matrix(MatrixView)
  case panels(UnsafePointer<Float>)
}

/// The GEMM's right operand: any strided matrix, or a convolution's im2col matrix read in
/// place (packed straight from the images).
enum GemmRight {
  case matrix(MatrixView)
  case unfolded(UnfoldedColumns)

  /// Whether B's rows hold their columns contiguously (within each group), so that tasks
  /// read their panels in place (see ``SGEMM/PanelsOfB``).
  var hasContiguousRows: Bool {
    if case .matrix(let view) = self { return view.colStride == 1 }
    return false
  }
}

/// Cache-blocked single-precision GEMM, `C = A * B` with the ``GemmStore`` epilogue.
///
/// Classic structure: slices of `kc` rows of B (up to `nc` columns) and blocks of `mc x kc`
/// of A are packed into register-tile panels (`mr` rows / `nr` columns, zero-padded at the
/// edges) and an `mr x nr` micro-kernel keeps its tile in SIMD registers over the slice.
/// Partial sums over K slices go to a private accumulator; C is written once, through the
/// epilogue, so C may alias the residual.
///
/// Threads take tasks of up to `nc` columns by one or more `mc`-row blocks. A task packs
/// each slice of B once for all its row blocks: packing B (a strided read, often straight
/// from an image) cost about a fifth of a large GEMM when every 96-row block packed its
/// own. Every output element sums K in the same order whatever the split, so results do
/// not depend on the thread count.
enum SGEMM {
  static let mr = GemmPanels.rowsPerPanel  // 6: the micro-kernel's rows
  static let nr = 16
  static let kc = GemmPanels.depthPerSlice  // 256
  static let mc = GemmPanels.rowsPerBlock  // 96, a multiple of mr
  static let nc = 256  // multiple of nr
  /// Row blocks one task may take (its accumulator is up to 768 x 256 floats).
  static let maxRowBlocksPerTask = 8

  /// - Parameter kernels: the micro-kernels (the CPU's by default; tests pass others).
  /// - Parameter storeFromTiles: whether tiles may store through the epilogue themselves
  ///   (tests turn it off to compare with the store from the accumulator).
  /// - Parameter readingBInPlace: whether tiles may read B's rows where they lie when its
  ///   columns are contiguous (tests turn it off to compare with packed panels).
  static func run(
    m: Int, n: Int, k: Int, a: GemmLeft, b: GemmRight, store: GemmStore, pool: ThreadPool?,
    kernels: KernelTable = .current, storeFromTiles: Bool = true, readingBInPlace: Bool = true
  ) {
    if m <= 0 || n <= 0 { return }
    let split = Split(m: m, n: n, threads: pool?.threads ?? 1)
    let direct = store.holdsWholeTiles && store.isPlain && store.columnsPerImage == .max
    let tileStore = storeFromTiles && !direct ? TileStore(store, m: m, n: n, k: k) : nil
    // Where the rows are split over tasks, several tasks need the same panels of B: unless
    // the tasks read B in place, they are packed once, every (column block, K slice) in
    // parallel, into the caller's shared scratch.
    let sharedB: UnsafeMutablePointer<Float>? =
      split.rowGroups > 1 && !(readingBInPlace && b.hasContiguousRows)
      ? packSharedB(b, k: k, n: n, width: split.width, columnBlocks: split.columnBlocks, pool: pool) : nil
    // Tasks are taken dynamically; each packs into its thread's own scratch.
    withUnsafePointer(to: kernels) { kernels in
      let context = (split, direct, m, n, k, a, b, store, kernels, sharedB, tileStore, readingBInPlace)
      parallelFor(pool, split.rowGroups * split.columnBlocks, context) { context, task in
        let (split, direct, m, n, k, a, b, store, kernels, sharedB, tileStore, inPlace) = context
        let rowSpan = split.rowBlocksPerTask * mc
        let (i0, j0) = split.origin(of: task)
        let rows = min(rowSpan, m - i0), cols = min(split.width, n - j0)
        // The accumulator is as wide as the task's column block: a 49-column GEMM's tasks of 768
        // rows keep 196 KB of sums, not the 786 KB an `nc`-wide one would spread its tiles over.
        let ldAcc = split.width
        let blockFloats = rowSpan * ldAcc + (tileStore == nil ? 0 : TileStore.Place.scratchFloats(rows: rowSpan, cols: ldAcc))
        let scratch = ThreadScratch.floats(mc * kc + kc * nc + (direct ? 0 : blockFloats))
        let packA = scratch, packB = scratch + mc * kc
        let packedB =
          sharedB.map { PackedB.shared($0 + (j0 / split.width) * k * split.width, width: split.width) }
          ?? (inPlace ? .inPlaceOrPack(into: packB) : .pack(into: packB))
        if direct {
          // The tiles accumulate in C itself: no copy.
          computeTask(
            i0: i0, rows: rows, j0: j0, cols: cols, k: k, a: a, b: b, packA: packA, packB: packedB,
            acc: store.c + i0 * store.ldc + j0, ldAcc: store.ldc, kernels: kernels.pointee)
        } else if let tileStore, tileStore.fits(cols: cols) {
          // The tiles store through the epilogue; the accumulator holds the few tiles C cannot
          // take whole, and the task's offsets and biases follow it.
          let acc = scratch + mc * kc + kc * nc
          let place = TileStore.Place(i0: i0, rows: rows, j0: j0, cols: cols, scratch: acc + rowSpan * ldAcc, tileStore)
          computeTask(
            i0: i0, rows: rows, j0: j0, cols: cols, k: k, a: a, b: b, packA: packA, packB: packedB,
            acc: acc, ldAcc: ldAcc, kernels: kernels.pointee, tileStore: (tileStore, place))
          tileStore.activateAfter(place)
        } else {
          let acc = scratch + mc * kc + kc * nc
          computeTask(
            i0: i0, rows: rows, j0: j0, cols: cols, k: k, a: a, b: b, packA: packA, packB: packedB, acc: acc, ldAcc: ldAcc,
            kernels: kernels.pointee)
          storeBlock(i0: i0, rows: rows, j0: j0, cols: cols, acc: acc, ldAcc: ldAcc, store: store)
        }
      }
    }
  }

  /// How a GEMM is cut into tasks: columns in blocks of `width` (whole `nr` panels, at most
  /// `nc`), rows in groups of `rowBlocksPerTask` blocks of `mc`. Rows stay together (B packed
  /// once) unless that leaves fewer than about four tasks per thread: a 512 x 49 conv has one
  /// column block, so its rows are split instead.
  ///
  /// The widest blocks that give those tasks can leave a thread idle at the end: 49 panels in
  /// blocks of 7 are 7 tasks, 4 for one thread and 3 for the other, an eighth of two threads'
  /// time lost. Down to half that width, the split whose tasks (taken in order by whichever
  /// thread is free) finish first is used instead: blocks of 6 end at 25 panels, not 28. For
  /// 128 rows (a 96-row block and a 32-row one) by a 7x7 map's 49 columns, 2 column blocks make
  /// 4 tasks, and the busier thread does 55% of the work instead of 73%.
  struct Split {
    let width: Int, columnBlocks: Int
    let rowBlocksPerTask: Int, rowGroups: Int
    private let m: Int, n: Int

    /// - Parameter balancing: whether to look for a better balanced split than the widest
    ///   (tests turn it off to compare).
    init(m: Int, n: Int, threads: Int, balancing: Bool = true) {
      let panels = (n + nr - 1) / nr
      let wanted = threads > 1 ? 4 * threads : 1
      // Narrower blocks for more tasks, down to 4 panels (64 columns) each.
      let widest = max(min(4, panels), min(nc / nr, (panels + wanted - 1) / wanted))
      self.init(m: m, n: n, columnPanels: widest, wanted: wanted)
      // Many tasks balance themselves; only a few per thread are worth a closer look.
      guard balancing, 2...64 ~= threads, rowGroups * columnBlocks <= 16 * threads else { return }
      var finish = finishTime(threads: threads)
      for columnPanels in stride(from: widest - 1, through: max(1, (widest + 1) / 2), by: -1) {
        let candidate = Split(m: m, n: n, columnPanels: columnPanels, wanted: wanted)
        let candidateFinish = candidate.finishTime(threads: threads)
        if candidateFinish < finish { (self, finish) = (candidate, candidateFinish) }
      }
    }

    private init(m: Int, n: Int, columnPanels: Int, wanted: Int) {
      (self.m, self.n) = (m, n)
      let mBlocks = (m + mc - 1) / mc
      width = columnPanels * nr
      columnBlocks = (n + width - 1) / width
      let groups = min(mBlocks, max((mBlocks + maxRowBlocksPerTask - 1) / maxRowBlocksPerTask, (wanted + columnBlocks - 1) / columnBlocks))
      rowBlocksPerTask = (mBlocks + groups - 1) / groups
      rowGroups = (mBlocks + rowBlocksPerTask - 1) / rowBlocksPerTask
    }

    /// The first row and column of C that `task` computes. Tasks go column block by column block,
    /// each block's row groups together: `parallelFor` gives each thread a contiguous share of the
    /// tasks, so a thread's columns (output pixels) are the same in consecutive convs, and where
    /// the rows are split it reads the shared B panels its own share of the packing wrote.
    func origin(of task: Int) -> (row: Int, column: Int) {
      ((task % rowGroups) * rowBlocksPerTask * mc, (task / rowGroups) * width)
    }

    /// When the last thread is done, in rows of tiles times columns (a narrow last panel costs
    /// its columns: see `sgemmTileNarrow`), when each task in turn goes to the thread that is
    /// free first. (`parallelFor` gives each thread a contiguous share and lets a thread that
    /// runs out take from the others' ends, which finishes about when this greedy dealing does;
    /// the model is not an exact replay of it.) Each task also pays half a panel's columns for
    /// reading its rows of A: without that, 512 x 49 with K = 2304 went to blocks of 2 panels
    /// for a modelled 3% and ran 15% slower (A read twice); 128 x 49 with K = 832 still does,
    /// and runs 21% faster.
    func finishTime(threads: Int) -> Int {
      // On the stack: a run allocates nothing (Tools/check_allocations.sh).
      withUnsafeTemporaryAllocation(of: Int.self, capacity: threads) { busyUntil in
        busyUntil.initialize(repeating: 0)
        let rowSpan = rowBlocksPerTask * mc
        for task in 0..<(rowGroups * columnBlocks) {
          let (i0, j0) = origin(of: task)
          let rows = min(rowSpan, m - i0), cols = min(width, n - j0)
          let first = busyUntil.indices.min { busyUntil[$0] < busyUntil[$1] }!
          busyUntil[first] += ((rows + mr - 1) / mr) * (cols + nr / 2)
        }
        return busyUntil.max()!
      }
    }
  }

  /// Where a task's panels of B come from: packed by the task into its scratch, or packed
  /// before the tasks ran (a column block's K slices one after the other, each `width` wide).
  enum PackedB {
    case pack(into: UnsafeMutablePointer<Float>)
    /// Read in place where B's columns allow (see ``PanelsOfB``), else packed into the buffer.
    case inPlaceOrPack(into: UnsafeMutablePointer<Float>)
    case shared(UnsafePointer<Float>, width: Int)
  }

  /// Packs every column block's K slices of B (each slice `depth x width`, in panel order) into
  /// the calling thread's shared scratch, spread over the pool, and returns it.
  private static func packSharedB(
    _ b: GemmRight, k: Int, n: Int, width: Int, columnBlocks: Int, pool: ThreadPool?
  ) -> UnsafeMutablePointer<Float> {
    let packed = ThreadScratch.floats(columnBlocks * k * width, slot: .shared)
    let slices = (k + kc - 1) / kc
    parallelFor(pool, columnBlocks * slices, (b, k, n, width, slices, packed)) { context, unit in
      let (b, k, n, width, slices, packed) = context
      let block = unit / slices, p0 = (unit % slices) * kc
      let j0 = block * width
      packPanelsB(
        b, p0: p0, depth: min(kc, k - p0), j0: j0, cols: min(width, n - j0), into: packed + block * k * width + p0 * width)
    }
    return packed
  }

  /// Fills `acc` (whole `mr x nr` tiles covering `rows x cols`, row stride `ldAcc`) with
  /// `A[i0..., :] * B[:, j0...]`: per K slice, B packed once, then every `mc`-row block.
  ///
  /// With `tileStore`, tiles sum in C and store through the epilogue there, and `acc` holds
  /// only the tiles C cannot take whole (see ``TileStore``).
  private static func computeTask(
    i0: Int, rows: Int, j0: Int, cols: Int, k: Int, a: GemmLeft, b: GemmRight,
    packA: UnsafeMutablePointer<Float>, packB: PackedB, acc: UnsafeMutablePointer<Float>, ldAcc: Int,
    kernels: KernelTable, tileStore: (TileStore, TileStore.Place)? = nil
  ) {
    let bPanels = (cols + nr - 1) / nr
    if k == 0 {
      for r in 0..<((rows + mr - 1) / mr * mr) { (acc + r * ldAcc).update(repeating: 0, count: bPanels * nr) }
      return
    }
    var p0 = 0
    while p0 < k {
      let depth = min(kc, k - p0)
      let panelsB: PanelsOfB
      switch packB {
      case .pack(let buffer), .inPlaceOrPack(let buffer):
        if case .inPlaceOrPack = packB,
          let inPlace = PanelsOfB.inPlace(b, p0: p0, depth: depth, j0: j0, cols: cols, scratch: buffer)
        {
          panelsB = inPlace
        } else {
          packPanelsB(b, p0: p0, depth: depth, j0: j0, cols: cols, into: buffer)
          panelsB = .packed(buffer, depth: depth)
        }
      case .shared(let packed, let width):
        panelsB = .packed(packed + p0 * width, depth: depth)
      }
      for r0 in stride(from: 0, to: rows, by: mc) {
        let blockRows = min(mc, rows - r0)
        let aPanels = (blockRows + mr - 1) / mr
        let panelsA: UnsafePointer<Float>
        switch a {
        case .matrix(let view):
          packPanelsA(view, i0: i0 + r0, rows: blockRows, p0: p0, depth: depth, into: packA)
          panelsA = UnsafePointer(packA)
        case .panels(let packed):
          panelsA = packed + GemmPanels.offset(rowBlockStart: i0 + r0, rows: blockRows, depth: k, sliceStart: p0)
        }
        let blockAcc = acc + r0 * ldAcc
        // A last B panel of 8 columns or fewer goes the narrow way, after the others.
        let narrowWidth = cols - (bPanels - 1) * nr
        let widePanels = narrowWidth <= nr / 2 ? bPanels - 1 : bPanels
        // Row groups outside, B panels inside: a group's panels of A (usually the compiler's
        // packed weights, not cached between inferences) are reused from L1 across the B panels,
        // and the group's first tile prefetches the next group's panels while it computes (see
        // `sgemmTile12x32`), so the weights stream in behind the arithmetic. Two A panels per
        // tile where the table has a 12-row tile, and two B panels where it has a 12 x 32 one
        // (the same sums in the same order, whichever tile computes an element).
        if let (tileStore, place) = tileStore {
          tileStore.computeBlock(
            place, firstRow: r0, rows: blockRows, depth: depth, panelsA: panelsA, panelsB: panelsB, panels: bPanels,
            accumulate: p0 > 0, finishing: p0 + depth == k, acc: acc, ldAcc: ldAcc, kernels: kernels)
          continue
        }
        var ip = 0
        while ip < aPanels {
          let pair = kernels.tile12 != nil && ip + 1 < aPanels
          let a = panelsA + ip * depth * mr, cRows = blockAcc + ip * mr * ldAcc
          var jp = 0
          while jp < widePanels {
            let c = cRows + jp * nr
            // Both B panels of a pair wider than half (a narrower second one goes the narrow way).
            let twoWide = kernels.tile12x32 != nil && jp + 1 < widePanels && panelsB.pairs(jp)
            if pair && twoWide {
              panelsB.tile(kernels.tile12x32!, panel: jp, a: a, c: c, ldc: ldAcc, accumulate: p0 > 0)
              jp += 2
            } else if pair {
              panelsB.tile(kernels.tile12!, panel: jp, a: a, c: c, ldc: ldAcc, accumulate: p0 > 0)
              jp += 1
            } else {
              panelsB.tile(kernels.tile6Forms, panel: jp, a: a, c: c, ldc: ldAcc, accumulate: p0 > 0)
              jp += 1
            }
          }
          ip += pair ? 2 : 1
        }
        if widePanels < bPanels {
          // Narrow tiles for 1 or 2 columns, half-width tiles for the rest (the same bits either way).
          let bPanel = panelsB.panel(widePanels), cColumn = blockAcc + widePanels * nr
          let narrow = kernels.narrowTiles(depth, panelsA, aPanels, bPanel, narrowWidth, cColumn, ldAcc, p0 > 0)
          for ip in narrow..<aPanels {
            kernels.tile6x8(depth, panelsA + ip * depth * mr, bPanel, cColumn + ip * mr * ldAcc, ldAcc, p0 > 0, nil, 0, 0, nil, 0)
          }
        }
      }
      p0 += depth
    }
  }

  /// `dst[panel][p][r] = A[i0 + panel * mr + r, p0 + p]`, zero for rows past the end.
  private static func packPanelsA(
    _ a: MatrixView, i0: Int, rows: Int, p0: Int, depth: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    let panels = (rows + mr - 1) / mr
    for panel in 0..<panels {
      let out = dst + panel * depth * mr
      for r in 0..<mr {
        let row = panel * mr + r
        if row < rows {
          let src = a.base + (i0 + row) * a.rowStride + p0 * a.colStride
          for p in 0..<depth { out[p * mr + r] = src[p * a.colStride] }
        } else {
          for p in 0..<depth { out[p * mr + r] = 0 }
        }
      }
    }
  }

  /// `dst[panel][p][j] = B[p0 + p, j0 + panel * nr + j]`, zero for columns past the end.
  static func packPanelsB(
    _ b: GemmRight, p0: Int, depth: Int, j0: Int, cols: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    switch b {
    case .matrix(let view): packPanelsB(view, p0: p0, depth: depth, j0: j0, cols: cols, into: dst)
    case .unfolded(let columns):
      for panel in 0..<((cols + nr - 1) / nr) {
        columns.packPanel(
          p0: p0, depth: depth, firstColumn: j0 + panel * nr, width: min(nr, cols - panel * nr), into: dst + panel * depth * nr)
      }
    }
  }

  private static func packPanelsB(
    _ b: MatrixView, p0: Int, depth: Int, j0: Int, cols: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    let panels = (cols + nr - 1) / nr
    var panel = 0
    while panel < panels {
      let out = dst + panel * depth * nr
      let firstCol = panel * nr
      let width = min(nr, cols - firstCol)
      if width == nr && b.isContiguous(j0 + firstCol, count: nr) {
        // The whole panels whose columns run on contiguously (within one image) go row by row.
        var run = 1
        while (panel + run + 1) * nr <= cols && b.isContiguous(j0 + firstCol, count: (run + 1) * nr) {
          run += 1
        }
        KernelTable.current.packRows16(b.base + p0 * b.rowStride + b.columnOffset(j0 + firstCol), b.rowStride, depth, run, out)
        panel += run
      } else {
        for j in 0..<nr {
          if j < width {
            let src = b.base + p0 * b.rowStride + b.columnOffset(j0 + firstCol + j)
            for p in 0..<depth { out[p * nr + j] = src[p * b.rowStride] }
          } else {
            for p in 0..<depth { out[p * nr + j] = 0 }
          }
        }
        panel += 1
      }
    }
  }

  /// Writes the valid `rows x cols` of `acc` to C through the epilogue, one run of columns
  /// within one image at a time.
  static func storeBlock(
    i0: Int, rows: Int, j0: Int, cols: Int, acc: UnsafeMutablePointer<Float>, ldAcc: Int, store: GemmStore
  ) {
    forEachRun(i0: i0, rows: rows, j0: j0, cols: cols, store: store) { r, j, image, column, count in
      let i = i0 + r
      storeRun(
        acc + r * ldAcc + (j - j0), count: count, to: store.c + image * store.imageStride + i * store.ldc + column,
        rowBias: store.rowBias.map { $0[i] } ?? 0, colBias: store.colBias.map { $0 + j },
        residual: store.residual.map { $0 + image * store.residualImageStride + i * store.ldr + column }, store: store)
    }
  }

  /// Calls `body(r, j, image, column, count)` for each run of `count` columns from `j` in
  /// row `i0 + r` of C that stays within one image: column `column` of image `image`.
  @inline(__always)
  static func forEachRun(
    i0: Int, rows: Int, j0: Int, cols: Int, store: GemmStore,
    _ body: (_ r: Int, _ j: Int, _ image: Int, _ column: Int, _ count: Int) -> Void
  ) {
    var j = j0
    while j < j0 + cols {
      let image = store.columnsPerImage == .max ? 0 : j / store.columnsPerImage
      let column = j - image * store.columnsPerImage
      let count = min(j0 + cols, store.columnsPerImage == .max ? .max : (image + 1) * store.columnsPerImage) - j
      for r in 0..<rows { body(r, j, image, column, count) }
      j += count
    }
  }

  /// `dst[j] = activation(alpha * src[j] + rowBias + colBias[j] + residual[j])` for `j < count`.
  /// Every value goes through the 16-lane form, the tail through a zero-padded vector, so a
  /// value's bits do not depend on where its run starts (a batched GEMM shifts the runs).
  @inline(__always)
  private static func storeRun(
    _ src: UnsafePointer<Float>, count: Int, to dst: UnsafeMutablePointer<Float>, rowBias: Float,
    colBias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, store: GemmStore
  ) {
    if store.isPlain {
      // Nothing to apply: copy (Winograd's 36 products per block go this way).
      dst.update(from: src, count: count)
      return
    }
    storeRow(src, count: count, to: dst, alpha: store.alpha, rowBias: rowBias, colBias: colBias, residual: residual, activation: store.activation)
  }

  /// `dst[j] = activation(alpha * src[j] + rowBias + colBias[j] + residual[j])` for `j < count`,
  /// 16 lanes at a time (Winograd's output rows go this way too). The sums go through the
  /// instruction set's row, clamped there when the activation is a clamp (none, ReLU, Clip:
  /// nearly every conv); any other activation then runs over the stored run, as a depthwise
  /// conv's does (the same values, so the same bits). `dst` may equal `src` or `residual`.
  @inline(__always)
  static func storeRow(
    _ src: UnsafePointer<Float>, count: Int, to dst: UnsafeMutablePointer<Float>, alpha: Float, rowBias: Float,
    colBias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, activation: Activation, kernels: KernelTable = .current
  ) {
    let (lower, upper, after) = activation.clampBounds
    kernels.clampedStoreRow(src, count, dst, alpha, rowBias, colBias, residual, lower, upper)
    if let after { Kernels.activation(after, dst, count: count, output: dst, kernels: kernels) }
  }
}
