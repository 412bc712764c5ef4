extension SGEMM {
  /// Where a task's panels of B are for one K slice: packed (panel `jp` a block of `depth`
  /// rows of `nr` floats, `jp * depth * nr` floats in) or B's own rows read where they lie
  /// (row `p` of panel `jp` at `base + p * ldb + jp * nr`).
  ///
  /// B can be read in place when its columns are contiguous: a 1x1 convolution's input holds
  /// each channel's pixels in order, which is what a panel's row is. Packing those rows took
  /// about 4% of ResNet-50 at one thread (`packRows16` in `perf record`), and where several
  /// tasks share a column block it took a parallel region of its own. With AVX2's 6-row tiles
  /// the packed panels are faster, so a 1x1 conv reads in place only where the kernel table
  /// says so (``KernelTable/readsImagePlanesInPlace``). A last panel of fewer than `nr`
  /// columns is packed (at `last`) either way, so no tile reads past a row's end.
  struct PanelsOfB {
    let base: UnsafePointer<Float>
    /// B's row stride in floats when read in place; nil when packed.
    let ldb: Int?
    let depth: Int
    /// In place: the panels read in place; the one after them (if any) is packed at `last`.
    let wholePanels: Int
    let last: UnsafePointer<Float>

    static func packed(_ panels: UnsafePointer<Float>, depth: Int) -> PanelsOfB {
      PanelsOfB(base: panels, ldb: nil, depth: depth, wholePanels: .max, last: panels)
    }

    /// Columns `j0..<j0 + cols` of rows `p0..<p0 + depth` of `view`, read in place, the
    /// partial last panel packed into `scratch`; nil when the columns are not one contiguous run.
    static func inPlace(
      _ b: GemmRight, p0: Int, depth: Int, j0: Int, cols: Int, scratch: UnsafeMutablePointer<Float>
    ) -> PanelsOfB? {
      guard case .matrix(let view) = b, view.isContiguous(j0, count: cols) else { return nil }
      let whole = cols / nr
      if whole * nr < cols {
        SGEMM.packPanelsB(b, p0: p0, depth: depth, j0: j0 + whole * nr, cols: cols - whole * nr, into: scratch)
      }
      return PanelsOfB(
        base: view.base + p0 * view.rowStride + view.columnOffset(j0), ldb: view.rowStride, depth: depth,
        wholePanels: whole, last: UnsafePointer(scratch))
    }

    /// Whether panel `jp` is read in place.
    @inline(__always) func inPlace(_ jp: Int) -> Bool { ldb != nil && jp < wholePanels }

    /// Whether panels `jp` and `jp + 1` lie alike (both in place or both packed), as a tile
    /// over two panels needs.
    @inline(__always) func pairs(_ jp: Int) -> Bool { ldb == nil || jp + 1 < wholePanels }

    /// Where panel `jp` starts.
    @inline(__always) func panel(_ jp: Int) -> UnsafePointer<Float> {
      guard let _ = ldb else { return base + jp * depth * nr }
      return jp < wholePanels ? base + jp * nr : last
    }

    /// A tile of `forms` from panel `jp` (6 x 16, 12 x 16), or from panels `jp` and `jp + 1`
    /// (12 x 32: they must pair).
    @inline(__always)
    func tile(
      _ forms: KernelTable.TileForms, panel jp: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
      accumulate: Bool, bias: UnsafePointer<Float>? = nil, lower: Float = 0, upper: Float = 0,
      residual: UnsafePointer<Float>? = nil, ldr: Int = 0
    ) {
      if inPlace(jp) {
        forms.strided(depth, a, panel(jp), ldb!, c, ldc, accumulate, bias, lower, upper, residual, ldr)
      } else {
        forms.packed(depth, a, panel(jp), c, ldc, accumulate, bias, lower, upper, residual, ldr)
      }
    }
  }
}
