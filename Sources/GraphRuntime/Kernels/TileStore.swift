import GraphPlan

extension SGEMM {
  /// A GEMM whose register tiles store their finished sums through the epilogue themselves,
  /// straight into C, instead of into a scratch accumulator that ``GemmStore`` then copies
  /// through the epilogue: that copy cost about an eighth of MobileNet-V2, whose 1x1 convs
  /// have few input channels and large outputs.
  ///
  /// It applies when the epilogue is a bias per row and a clamp (`alpha` 1, no column bias, no
  /// residual, which may share C's memory), and C is written where its tiles fall whole. Tiles
  /// that would pass C's rows or the task's columns, or straddle two images, sum in the task's
  /// accumulator and go through the general store. The tile's epilogue gives the general store's bits (see `KernelVector.storedRow`),
  /// so which tiles go which way changes nothing. An activation other than a clamp then runs
  /// over the task's block of C, as the general store runs it over each run.
  struct TileStore {
    let store: GemmStore
    /// The store for tiles computed in the block: the clamp part of the epilogue only.
    let edgeStore: GemmStore
    let lower: Float, upper: Float, after: Activation?

    init?(_ store: GemmStore, k: Int) {
      guard k > 0, store.alpha == 1, store.colBias == nil, store.residual == nil else { return nil }
      self.store = store
      (lower, upper, after) = store.activation.clampBounds
      var edgeStore = store
      if after != nil { edgeStore.activation = .clip(min: lower, max: upper) }
      self.edgeStore = edgeStore
    }

    /// Whether a task `cols` wide goes this way: a last panel of 1 or 2 columns is cheaper
    /// through the narrow tiles, which only the accumulator's path has.
    func fits(cols: Int) -> Bool {
      let last = cols - (cols - 1) / nr * nr
      return last > 2
    }

    /// One task's rows and columns of C, and its scratch: where each of the task's B panels
    /// starts in C's row 0 (-1 where its 16 columns do not fall whole inside the task and one
    /// image), worked out once per task instead of per tile, and the rows' biases (zeros past
    /// the last row, so a tile's six reads stay inside).
    struct Place {
      let rows: Range<Int>, columns: Range<Int>
      /// The biases of rows `rows.lowerBound...`, or nil when the store adds nothing (plain).
      let bias: UnsafePointer<Float>?
      let panelOffsets: UnsafeMutablePointer<Int>

      init(i0: Int, rows: Int, j0: Int, cols: Int, scratch: UnsafeMutablePointer<Float>, _ tileStore: TileStore) {
        (self.rows, columns) = (i0..<(i0 + rows), j0..<(j0 + cols))
        let store = tileStore.store, panels = (cols + nr - 1) / nr
        // The offsets first: the scratch is aligned for them.
        panelOffsets = UnsafeMutableRawPointer(scratch).bindMemory(to: Int.self, capacity: panels)
        let floats = scratch + panels * Self.intFloats, padded = rows + 2 * mr
        if store.isPlain {
          bias = nil
        } else {
          for r in 0..<padded { floats[r] = r < rows ? store.rowBias?[i0 + r] ?? 0 : 0 }
          bias = UnsafePointer(floats)
        }
        for panel in 0..<panels {
          let column = j0 + panel * nr, last = column + nr - 1
          let perImage = store.columnsPerImage
          if last >= j0 + cols {
            panelOffsets[panel] = -1
          } else if perImage == .max {
            panelOffsets[panel] = column
          } else {
            let image = column / perImage
            panelOffsets[panel] = last / perImage == image ? image * store.imageStride + column - image * perImage : -1
          }
        }
      }

      /// Scratch floats a task of up to `rows` rows and `cols` columns needs.
      static func scratchFloats(rows: Int, cols: Int) -> Int { (cols + nr - 1) / nr * intFloats + rows + 2 * mr }

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

    /// Rows `firstRow..<firstRow + rows` of the task (packed in `panelsA`) by all its B panels
    /// over one K slice: 12-row and 12 x 32 tiles where the table has them and C takes them
    /// whole. Partial sums of earlier slices wait in C itself (C shares no memory with A or B),
    /// and the slice that finishes them (`finishing`) stores them through the epilogue. Edge
    /// tiles sum in the task's accumulator `acc` (row stride `ldAcc`) and go through the
    /// general store when finished.
    func computeBlock(
      _ place: Place, firstRow: Int, rows: Int, depth: Int, panelsA: UnsafePointer<Float>, panelsB: UnsafePointer<Float>,
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
          let bPanel = panelsB + jp * depth * nr
          if pair, kernels.tile12x32 != nil, jp + 1 < panels,
            let c = target(place, row: row, height: 2 * mr, panel: jp, panels: 2)
          {
            kernels.tile12x32!(depth, a, bPanel, c, store.ldc, accumulate, bias, lower, upper)
            jp += 2
            continue
          }
          if pair, let c = target(place, row: row, height: 2 * mr, panel: jp, panels: 1) {
            kernels.tile12!(depth, a, bPanel, c, store.ldc, accumulate, bias, lower, upper)
          } else {
            for half in 0..<(pair ? 2 : 1) {
              let r = row + half * mr, aHalf = a + half * depth * mr
              if let c = target(place, row: r, height: mr, panel: jp, panels: 1) {
                kernels.tile6(depth, aHalf, bPanel, c, store.ldc, accumulate, bias.map { $0 + half * mr }, lower, upper)
              } else {
                let edge = acc + (r - place.rows.lowerBound) * ldAcc + jp * nr
                kernels.tile6(depth, aHalf, bPanel, edge, ldAcc, accumulate, nil, 0, 0)
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
