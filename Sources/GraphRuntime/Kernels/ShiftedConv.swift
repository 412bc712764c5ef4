import GraphPlan

/// A stride-1 convolution with few output channels a group (``Conv2DGeometry/runsShifted``)
/// as GEMM tiles that read B from the image where it lies: nothing is packed.
///
/// Over the zero-bordered image (`inWidth` columns), output pixel `(oy, ox)` reads tap
/// `(c, ky, kx)` at `c * plane + (oy + ky * dh) * inWidth + ox + kx * dw`, that is at
/// `offsets[(c, ky, kx)] + q` with `q = oy * inWidth + ox`. Numbering the outputs by `q`
/// ("virtual" pixels: the last `(kw - 1) * dw` of each row of `inWidth` are not outputs and are
/// dropped at the store), 16 consecutive outputs read each tap as one vector, and the tile
/// (`sgemmTile6x16Shifted`) reads row `p` of B at `image + q0 + offsets[p]`.
///
/// The GEMM's path packs each 16-column im2col panel (K loads and stores) and reuses it over
/// the rows of A; with 6 to 24 rows there is little reuse (or up to 64 in a grouped conv, whose
/// small GEMM per group pads its columns and pays its own set-up), and packing took 30% of
/// LeNet's run at batch 8 and 17% of RegNet-Y-400MF's (perf, 1 thread). The sums are the GEMM's
/// (K ascending in the same 256-deep slices, the same tile), so the bits are too.
enum ShiftedConv {
  /// Runs `p` (`p.geometry.runsShifted`) with ``GemmPanels`` weights.
  static func run(
    _ p: Conv2DParameters, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, epilogue: Epilogue,
    output: UnsafeMutablePointer<Float>, pool: ThreadPool?, kernels: KernelTable = .current
  ) {
    let g = p.geometry, w = g.window
    let bordered = Kernels.borderedGeometry(g, images: 1)
    let b = bordered ?? g
    let inPlane = g.inHeight * g.inWidth, borderedImage = g.inChannels * b.inHeight * b.inWidth
    // As many images per bordered copy as its scratch takes (all of LeNet's batch).
    let chunk = bordered == nil ? p.batch : max(1, Kernels.maxBorderedFloats / borderedImage)
    let depth = g.inChannelsPerGroup * w.kernelHeight * w.kernelWidth
    withUnsafeTemporaryAllocation(of: Int.self, capacity: depth) { offsets in
      var i = 0
      for c in 0..<g.inChannelsPerGroup {
        for ky in 0..<w.kernelHeight {
          for kx in 0..<w.kernelWidth {
            offsets[i] = c * b.inHeight * b.inWidth + ky * w.dilationHeight * b.inWidth + kx * w.dilationWidth
            i += 1
          }
        }
      }
      for n0 in stride(from: 0, to: p.batch, by: chunk) {
        let images = min(chunk, p.batch - n0)
        var source = input + n0 * g.inChannels * inPlane
        if let bordered { source = UnsafePointer(Kernels.copyWithBorders(source, g, bordered, images: images, pool: pool)) }
        let plan = Plan(
          p: p, bordered: b, source: source, firstImage: n0, images: images, depth: depth, offsets: UnsafePointer(offsets.baseAddress!),
          weights: weights, epilogue: epilogue, output: output, threads: pool?.threads ?? 1)
        withUnsafePointer(to: kernels) { kernels in
          parallelFor(pool, plan.units, (plan, kernels)) { context, unit in context.0.run(unit, kernels: context.1.pointee) }
        }
      }
    }
  }

  /// One chunk of images: the work units (image, group, run of tiles) and what each reads and writes.
  private struct Plan: BitwiseCopyable {
    let p: Conv2DParameters, bordered: Conv2DGeometry
    let source: UnsafePointer<Float>, firstImage: Int, images: Int
    let depth: Int, offsets: UnsafePointer<Int>
    let weights: UnsafePointer<Float>, epilogue: Epilogue, output: UnsafeMutablePointer<Float>
    /// Virtual pixels of one plane, from the first output to the last: `(oh - 1) * inWidth + ow`.
    let pixels: Int
    let tilesPerUnit: Int, unitsPerPlane: Int

    init(
      p: Conv2DParameters, bordered: Conv2DGeometry, source: UnsafePointer<Float>, firstImage: Int, images: Int, depth: Int,
      offsets: UnsafePointer<Int>, weights: UnsafePointer<Float>, epilogue: Epilogue, output: UnsafeMutablePointer<Float>,
      threads: Int
    ) {
      (self.p, self.bordered, self.source, self.firstImage, self.images) = (p, bordered, source, firstImage, images)
      (self.depth, self.offsets, self.weights, self.epilogue, self.output) = (depth, offsets, weights, epilogue, output)
      let g = p.geometry
      pixels = (g.outHeight - 1) * bordered.inWidth + g.outWidth
      // At least 4 units a thread for balance, each at least 4 tiles (64 pixels) of work.
      let tiles = (pixels + SGEMM.nr - 1) / SGEMM.nr, planes = images * g.groups
      let wanted = threads > 1 ? (4 * threads + planes - 1) / planes : 1
      unitsPerPlane = max(1, min(wanted, tiles / 4))
      tilesPerUnit = (tiles + unitsPerPlane - 1) / unitsPerPlane
    }

    var units: Int { images * p.geometry.groups * unitsPerPlane }

    /// Where the panel of group weights `a` (``GemmPanels`` order) from row `i0` starts its
    /// slice at depth `p0`.
    private func panelSlice(_ a: UnsafePointer<Float>, row i0: Int, depth p0: Int) -> UnsafePointer<Float> {
      let mg = p.geometry.outChannelsPerGroup, rowsPerBlock = GemmPanels.rowsPerBlock
      let blockStart = i0 / rowsPerBlock * rowsPerBlock
      return a + GemmPanels.offset(rowBlockStart: blockStart, rows: min(rowsPerBlock, mg - blockStart), depth: depth, sliceStart: p0)
        + (i0 - blockStart) * min(SGEMM.kc, depth - p0)
    }

    func run(_ unit: Int, kernels: KernelTable) {
      let g = p.geometry, nr = SGEMM.nr, mr = SGEMM.mr, kc = SGEMM.kc
      let mg = g.outChannelsPerGroup, outPlane = g.outHeight * g.outWidth, inWidth = bordered.inWidth
      let plane = unit / unitsPerPlane, part = unit % unitsPerPlane
      let n = plane / g.groups, group = plane % g.groups, image = firstImage + n
      let b = source + n * g.inChannels * bordered.inHeight * inWidth + group * g.inChannelsPerGroup * bordered.inHeight * inWidth
      let a = weights + group * GemmPanels.count(rows: mg, depth: depth)
      let out = output + (image * p.outputTotalChannels + p.outputChannelOffset + group * mg) * outPlane
      let residual = epilogue.residual.map { $0 + (image * g.outChannels + group * mg) * outPlane }
      let bias = epilogue.bias.map { $0 + group * mg }
      let (lower, upper, after) = epilogue.activation.clampBounds
      let plain = bias == nil && residual == nil && epilogue.activation == .none

      // Scratch: a tile's sums, zeros for a missing bias or residual, a packed last panel, a
      // tile's row biases, its valid lanes.
      let scratch = ThreadScratch.floats(mr * nr + 2 * nr + depth * nr + nr + 2 * nr)
      let sums = scratch, zeros = scratch + mr * nr, panel = zeros + 2 * nr, tileBias = panel + depth * nr
      let lanes = UnsafeMutableRawPointer(tileBias + nr).bindMemory(to: Int32.self, capacity: nr)
      zeros.update(repeating: 0, count: 2 * nr)

      let firstTile = part * tilesPerUnit
      for tile in firstTile..<min(firstTile + tilesPerUnit, (pixels + nr - 1) / nr) {
        let q0 = tile * nr, count = min(nr, pixels - q0)
        let oy = q0 / inWidth, ox = q0 % inWidth
        // The plane's last tile would read past its channels: its valid lanes are packed.
        if count < nr {
          for r in 0..<depth {
            let row = panel + r * nr
            Kernels.copyShort(b + q0 + offsets[r], to: row, count: count)
            Kernels.zeroShort(row + count, count: nr - count)
          }
        }
        // 16 outputs of one row store from the tile through the epilogue (whole panels of rows only).
        let wholeRow = count == nr && ox + nr <= g.outWidth && after == nil
        // Which of the tile's lanes are outputs (not a bordered row's dropped columns), and the first one's index.
        var valid = 0, firstOutput = 0, gathered = true
        if wholeRow {
          (valid, firstOutput) = (nr, oy * g.outWidth + ox)
        } else {
          var x = ox, y = oy
          for lane in 0..<count {
            if x < g.outWidth {
              if valid == 0 { firstOutput = y * g.outWidth + x }
              gathered = gathered && lane == valid
              lanes[valid] = Int32(lane)
              valid += 1
            }
            x += 1
            if x == inWidth { (x, y) = (0, y + 1) }
          }
        }
        for i0 in stride(from: 0, to: mg, by: mr) {
          let rows = min(mr, mg - i0)
          if wholeRow && rows == mr && depth <= kc {
            let aPanel = panelSlice(a, row: i0, depth: 0)
            let c = out + i0 * outPlane + oy * g.outWidth + ox
            let r = residual.map { $0 + i0 * outPlane + oy * g.outWidth + ox }
            kernels.tile6Shifted(
              depth, aPanel, b + q0, offsets, c, outPlane, false, plain ? nil : (bias.map { $0 + i0 } ?? UnsafePointer(zeros)),
              lower, upper, r ?? UnsafePointer(zeros), r == nil ? 0 : outPlane)
            continue
          }
          // Without a residual the tile applies the epilogue itself, and its valid lanes are
          // copied out; a residual lies where the outputs go, not in the tile's lanes.
          let finished = residual == nil && after == nil && !plain
          var rowBias: UnsafePointer<Float>? = nil
          if finished {
            for r in 0..<mr { tileBias[r] = r < rows ? bias?[i0 + r] ?? 0 : 0 }
            rowBias = UnsafePointer(tileBias)
          }
          // K in the GEMM's slices (the panels' order), the sums added up in `sums` as the GEMM adds them.
          for p0 in stride(from: 0, to: depth, by: kc) {
            let sliceDepth = min(kc, depth - p0), aPanel = panelSlice(a, row: i0, depth: p0)
            let finish = p0 + sliceDepth == depth ? rowBias : nil
            if count < nr {
              kernels.tile6(sliceDepth, aPanel, panel + p0 * nr, sums, nr, p0 > 0, finish, lower, upper, UnsafePointer(zeros), 0)
            } else {
              kernels.tile6Shifted(
                sliceDepth, aPanel, b + q0, offsets + p0, sums, nr, p0 > 0, finish, lower, upper, UnsafePointer(zeros), 0)
            }
          }
          // The valid lanes are consecutive outputs (a row's last one is followed by the next
          // row's first): gathered to the front of each row of sums, a row stores in one call.
          guard valid > 0 else { continue }
          for r in 0..<rows {
            let row = sums + r * nr
            if !gathered { for k in 0..<valid { row[k] = row[Int(lanes[k])] } }
            let dst = out + (i0 + r) * outPlane + firstOutput
            if plain || finished {
              Kernels.copyShort(row, to: dst, count: valid)
            } else {
              SGEMM.storeRow(
                row, count: valid, to: dst, alpha: 1, rowBias: bias.map { $0[i0 + r] } ?? 0, colBias: nil,
                residual: residual.map { $0 + (i0 + r) * outPlane + firstOutput }, activation: epilogue.activation, kernels: kernels)
            }
          }
        }
      }
    }
  }
}
