import CPrefetch
import GraphPlan

extension SGEMM {
  /// A GEMM whose register tiles store their finished sums through the epilogue themselves,
  /// straight into C, instead of into a scratch accumulator that ``GemmStore`` then copies
  /// through the epilogue: that copy cost about an eighth of MobileNet-V2, whose 1x1 convs
  /// have few input channels and large outputs.
  ///
  /// It applies when the epilogue is a bias per row, a residual and a clamp (`alpha` 1, no column
  /// bias), and C is written where its tiles fall whole. A residual that shares C's memory (a
  /// conv writing over its residual) needs K in one slice: partial sums of earlier slices wait in C,
  /// where they would overwrite it. (ResNet-50's residual 1x1 convs at 56x56 and 28x28, K = 64 and
  /// 128, took 0.2–0.35 ms more than the same convs without a residual through the accumulator;
  /// through the tiles 3–13% less.) Tiles that would pass C's rows or the task's columns, or straddle two images, sum in the task's
  /// accumulator and go through the general store. The tile's epilogue gives the general store's bits (see `KernelVector.storedRow`),
  /// so which tiles go which way changes nothing. An activation other than a clamp then runs
  /// over the task's block of C, as the general store runs it over each run.
  struct TileStore {
    let store: GemmStore
    /// The store for tiles computed in the block: the clamp part of the epilogue only.
    let edgeStore: GemmStore
    let lower: Float, upper: Float, after: Activation?

    init?(_ store: GemmStore, m: Int, n: Int, k: Int) {
      guard k > 0, store.alpha == 1, store.colBias == nil else { return nil }
      // Rows of C and the residual that are not whole vectors apart make every tile's vectors
      // straddle two cache lines: there the accumulator's store measured faster (ResNet-50's
      // residual convs at 14x14, 196 columns: 7% slower through the tiles).
      if store.residual != nil && (store.ldc % nr != 0 || store.ldr % nr != 0) { return nil }
      if let residual = store.residual, k > kc {
        let c = Self.span(UnsafePointer(store.c), ld: store.ldc, imageStride: store.imageStride, store, m: m, n: n)
        let r = Self.span(residual, ld: store.ldr, imageStride: store.residualImageStride, store, m: m, n: n)
        guard c.upperBound <= r.lowerBound || r.upperBound <= c.lowerBound else { return nil }
      }
      self.store = store
      (lower, upper, after) = store.activation.clampBounds
      var edgeStore = store
      if after != nil { edgeStore.activation = .clip(min: lower, max: upper) }
      self.edgeStore = edgeStore
    }

    /// The memory an `m x n` matrix laid out as C (or the residual) spans.
    private static func span(
      _ base: UnsafePointer<Float>, ld: Int, imageStride: Int, _ store: GemmStore, m: Int, n: Int
    ) -> Range<UnsafePointer<Float>> {
      let perImage = store.columnsPerImage
      let images = perImage == .max ? 1 : (n + perImage - 1) / perImage
      return base..<(base + (images - 1) * imageStride + (m - 1) * ld + min(n, perImage))
    }

    /// Whether a task `cols` wide goes this way: a last panel of 1 or 2 columns is cheaper
    /// through the narrow tiles, which only the accumulator's path has.
    func fits(cols: Int) -> Bool {
      let last = cols - (cols - 1) / nr * nr
      return last > 2
    }

    /// One task's rows and columns of C, and its scratch: where each of the task's B panels
    /// starts in C's row 0 (-1 where its 16 columns do not fall whole inside the task and one
    /// image) and in the residual's, worked out once per task instead of per tile, and the rows'
    /// biases (zeros past the last row, so a tile's six reads stay inside).
    struct Place {
      let rows: Range<Int>, columns: Range<Int>
      /// The biases of rows `rows.lowerBound...`, or nil when the store adds nothing (plain).
      let bias: UnsafePointer<Float>?
      /// A row of zeros: the residual tiles add when the store has none.
      let zeros: UnsafePointer<Float>
      let panelOffsets: UnsafeMutablePointer<Int>
      let residualOffsets: UnsafeMutablePointer<Int>

      init(i0: Int, rows: Int, j0: Int, cols: Int, scratch: UnsafeMutablePointer<Float>, _ tileStore: TileStore) {
        (self.rows, columns) = (i0..<(i0 + rows), j0..<(j0 + cols))
        let store = tileStore.store, panels = (cols + nr - 1) / nr
        // The offsets first: the scratch is aligned for them.
        panelOffsets = UnsafeMutableRawPointer(scratch).bindMemory(to: Int.self, capacity: 2 * panels)
        residualOffsets = panelOffsets + panels
        let floats = scratch + 2 * panels * Self.intFloats, padded = rows + 2 * mr
        (floats + padded).update(repeating: 0, count: 2 * nr)
        zeros = UnsafePointer(floats + padded)
        if store.isPlain {
          bias = nil
        } else {
          for r in 0..<padded { floats[r] = r < rows ? store.rowBias?[i0 + r] ?? 0 : 0 }
          bias = UnsafePointer(floats)
        }
        for panel in 0..<panels {
          let column = j0 + panel * nr, last = column + nr - 1
          let perImage = store.columnsPerImage
          (panelOffsets[panel], residualOffsets[panel]) = (-1, -1)
          if last >= j0 + cols {
            continue
          } else if perImage == .max {
            (panelOffsets[panel], residualOffsets[panel]) = (column, column)
          } else if last / perImage == column / perImage {
            let image = column / perImage, inImage = column - image * perImage
            panelOffsets[panel] = image * store.imageStride + inImage
            residualOffsets[panel] = image * store.residualImageStride + inImage
          }
        }
      }

      /// Scratch floats a task of up to `rows` rows and `cols` columns needs.
      static func scratchFloats(rows: Int, cols: Int) -> Int { 2 * ((cols + nr - 1) / nr) * intFloats + rows + 2 * mr + 2 * nr }

      /// Floats that hold one `Int`.
      private static let intFloats = MemoryLayout<Int>.stride / MemoryLayout<Float>.stride
    }

    /// Where a tile of `height` rows from `row` and B panels `panel..<panel + panels` (1 or 2)
    /// stores in C, or nil when C or the task cannot take it whole.
    @inline(__always)
    func target(_ place: Place, row: Int, height: Int, panel: Int, panels: Int) -> UnsafeMutablePointer<Float>? {
      let offset = place.panelOffsets[panel]
      guard offset >= 0, row + height <= place.rows.upperBound else { return nil }
      if panels == 2 && place.panelOffsets[panel + 1] != offset + nr { return nil }
      return store.c + row * store.ldc + offset
    }

    /// Where the residual of the tile from `row` and B panel `panel` starts, and its row stride:
    /// the place's zeros without one.
    @inline(__always)
    func residual(_ place: Place, row: Int, panel: Int) -> (UnsafePointer<Float>, Int) {
      guard let residual = store.residual else { return (place.zeros, 0) }
      return (residual + row * store.ldr + place.residualOffsets[panel], store.ldr)
    }

    /// Rows `firstRow..<firstRow + rows` of the task (packed in `panelsA`) by all its B panels
    /// over one K slice: 12-row and 12 x 32 tiles where the table has them and C takes them
    /// whole. Partial sums of earlier slices wait in C itself (C shares no memory with A or B),
    /// and the slice that finishes them (`finishing`) stores them through the epilogue. Edge
    /// tiles sum in the task's accumulator `acc` (row stride `ldAcc`) and go through the
    /// general store when finished.
    func computeBlock(
      _ place: Place, firstRow: Int, rows: Int, depth: Int, panelsA: UnsafePointer<Float>, panelsB: PanelsOfB,
      panels: Int, accumulate: Bool, finishing: Bool, acc: UnsafeMutablePointer<Float>, ldAcc: Int, kernels: KernelTable
    ) {
      let aPanels = (rows + mr - 1) / mr
      var ip = 0
      while ip < aPanels {
        let row = place.rows.lowerBound + firstRow + ip * mr
        let a = panelsA + ip * depth * mr
        let bias = finishing ? place.bias.map { $0 + firstRow + ip * mr } : nil
        let pair = kernels.tile12 != nil && ip + 1 < aPanels && row + 2 * mr <= place.rows.upperBound
        var jp = 0
        while jp < panels {
          if pair, let wide = kernels.tile12x32, jp + 1 < panels, panelsB.pairs(jp),
            let c = target(place, row: row, height: 2 * mr, panel: jp, panels: 2)
          {
            if finishing { prefetch(place, row: row, panel: jp + 2, panels: panels) }
            let (r, ldr) = residual(place, row: row, panel: jp)
            panelsB.tile(
              wide, panel: jp, a: a, c: c, ldc: store.ldc, accumulate: accumulate, bias: bias, lower: lower, upper: upper,
              residual: r, ldr: ldr)
            jp += 2
            continue
          }
          if pair, let c = target(place, row: row, height: 2 * mr, panel: jp, panels: 1) {
            let (r, ldr) = residual(place, row: row, panel: jp)
            panelsB.tile(
              kernels.tile12!, panel: jp, a: a, c: c, ldc: store.ldc, accumulate: accumulate, bias: bias, lower: lower,
              upper: upper, residual: r, ldr: ldr)
          } else {
            for half in 0..<(pair ? 2 : 1) {
              let r = row + half * mr, aHalf = a + half * depth * mr
              if let c = target(place, row: r, height: mr, panel: jp, panels: 1) {
                let (residual, ldr) = residual(place, row: r, panel: jp)
                panelsB.tile(
                  kernels.tile6Forms, panel: jp, a: aHalf, c: c, ldc: store.ldc, accumulate: accumulate, bias: bias.map { $0 + half * mr },
                  lower: lower, upper: upper, residual: residual, ldr: ldr)
              } else {
                let edge = acc + (r - place.rows.lowerBound) * ldAcc + jp * nr
                panelsB.tile(kernels.tile6Forms, panel: jp, a: aHalf, c: edge, ldc: ldAcc, accumulate: accumulate)
                let column = place.columns.lowerBound + jp * nr
                if finishing {
                  SGEMM.storeBlock(
                    i0: r, rows: min(mr, place.rows.upperBound - r), j0: column, cols: min(nr, place.columns.upperBound - column),
                    acc: edge, ldAcc: ldAcc, store: edgeStore)
                }
              }
            }
          }
          jp += 1
        }
        ip += pair ? 2 : 1
      }
    }

    /// Asks for the lines of C and of the residual that the 12 x 32 tile at `row` and panel
    /// `panel` will store and read, while the tile before it computes: ResNet-50's residual
    /// 1x1 convs at 56x56 read a residual written three convs earlier, no longer in L2, in 12
    /// rows 12.5 KB apart, and store as many rows of C.
    @inline(__always)
    func prefetch(_ place: Place, row: Int, panel: Int, panels: Int) {
      guard panel + 1 < panels, let c = target(place, row: row, height: 2 * mr, panel: panel, panels: 2) else { return }
      for r in 0..<(2 * mr) {
        graphc_prefetch_write(c + r * store.ldc)
        graphc_prefetch_write(c + r * store.ldc + nr)
      }
      guard let residual = store.residual else { return }
      let first = residual + row * store.ldr + place.residualOffsets[panel]
      for r in 0..<(2 * mr) {
        graphc_prefetch(first + r * store.ldr)
        graphc_prefetch(first + r * store.ldr + nr)
      }
    }

    /// The activation after the clamp (SiLU, GELU, ...) over the task's block of C.
    func activateAfter(_ place: Place) {
      guard let after else { return }
      let (i0, store) = (place.rows.lowerBound, store)
      SGEMM.forEachRun(i0: i0, rows: place.rows.count, j0: place.columns.lowerBound, cols: place.columns.count, store: store) {
        r, _, image, column, count in
        let dst = store.c + image * store.imageStride + (i0 + r) * store.ldc + column
        Kernels.activation(after, dst, count: count, output: dst)
      }
    }
  }
}
