/// What a 2-D convolution computes for one batch item: channels, spatial sizes, the
/// ``Window2D`` and groups. The plan's ``Convolution`` and the kernels'
/// ``Conv2DParameters`` both hold one.
///
/// Input `[inChannels, inHeight, inWidth]`, output `[outChannels, outHeight, outWidth]`
/// (NCHW without N); weights `[outChannels, inChannels / groups, kernelHeight, kernelWidth]`,
/// as ONNX gives them. All sizes are in elements. The window's fields read as the
/// geometry's own (`geometry.strideHeight`).
public struct Conv2DGeometry: WindowedGeometry, Sendable, Equatable, BitwiseCopyable {
  /// Input channels (C).
  public var inChannels: Int
  /// Input rows.
  public var inHeight: Int
  /// Input columns.
  public var inWidth: Int
  /// Output channels (M).
  public var outChannels: Int
  /// Kernel size, strides, pads and dilations.
  public var window: Window2D
  /// Channel groups; `inChannels` and `outChannels` are both multiples of it.
  public var groups: Int

  /// Creates a geometry from its window.
  public init(inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int, window: Window2D, groups: Int = 1) {
    self.inChannels = inChannels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outChannels = outChannels
    self.window = window
    self.groups = groups
  }

  /// Creates a geometry; strides and dilations default to 1, pads to 0, groups to 1.
  public init(
    inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1, groups: Int = 1
  ) {
    self.init(
      inChannels: inChannels, inHeight: inHeight, inWidth: inWidth, outChannels: outChannels,
      window: Window2D(
        kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideHeight: strideHeight, strideWidth: strideWidth,
        padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
        dilationHeight: dilationHeight, dilationWidth: dilationWidth),
      groups: groups)
  }

  /// Output rows (``Window2D/outputHeight(input:ceilMode:)`` without ceil mode), 0 when the window does not fit.
  public var outHeight: Int { window.outputHeight(input: inHeight) }
  /// Output columns (``Window2D/outputWidth(input:ceilMode:)`` without ceil mode), 0 when the window does not fit.
  public var outWidth: Int { window.outputWidth(input: inWidth) }

  /// Input channels seen by one group.
  public var inChannelsPerGroup: Int { inChannels / groups }
  /// Output channels produced by one group.
  public var outChannelsPerGroup: Int { outChannels / groups }
  /// Floats in the weight tensor.
  public var weightCount: Int { outChannels * inChannelsPerGroup * window.kernelHeight * window.kernelWidth }
  /// Floats of input per batch item.
  public var inputCountPerItem: Int { inChannels * inHeight * inWidth }
  /// Floats of output per batch item (the convolution's own channels only).
  public var outputCountPerItem: Int { outChannels * outHeight * outWidth }

  /// The 17 ints of a conv step in a plan file, in order; the output size is stored for
  /// readers of the format and must match the geometry.
  static var fileFields: [GeometryField<Conv2DGeometry>] {
    [.stored(\.inChannels), .stored(\.inHeight), .stored(\.inWidth), .stored(\.outChannels),
     .derived(\.outHeight), .derived(\.outWidth)] + GeometryField.window(\.window) + [.stored(\.groups)]
  }

  /// A geometry to decode into.
  static let blank = Conv2DGeometry(inChannels: 0, inHeight: 0, inWidth: 0, outChannels: 0, kernelHeight: 0, kernelWidth: 0)

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  ///
  /// Safe on arbitrary values (it checks ranges before computing the output size).
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw PlanError.format("Conv2D: \(s)") }
    if [inChannels, inHeight, inWidth, outChannels, groups].contains(where: { $0 >= 1 << 31 }) { try fail("parameter out of range") }
    if let problem = window.violation() { try fail(problem) }
    if inChannels <= 0 || outChannels <= 0 || inHeight <= 0 || inWidth <= 0 { try fail("non-positive shape") }
    if groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0 {
      try fail("groups \(groups) does not divide channels \(inChannels) -> \(outChannels)")
    }
    if outHeight <= 0 || outWidth <= 0 { try fail("empty output \(outHeight)x\(outWidth)") }
    // Every size a kernel computes from these must fit, or validation itself would trap.
    let counts = [
      [inChannels, inHeight, inWidth], [outChannels, outHeight, outWidth],
      [inChannels, inHeight + window.padTop + window.padBottom, inWidth + window.padLeft + window.padRight],  // a zero-bordered copy
      [outChannels, inChannelsPerGroup, window.kernelHeight, window.kernelWidth],
      [inChannelsPerGroup, window.kernelHeight, window.kernelWidth, outHeight, outWidth],  // one group's im2col
      [GemmPanels.count(rows: 1, depth: 1), groups, outChannelsPerGroup + GemmPanels.rowsPerPanel,
       inChannelsPerGroup, window.kernelHeight, window.kernelWidth],  // packed weights
    ]
    if counts.contains(where: { Window2D.checkedProduct($0) == nil }) { try fail("sizes overflow (\(inChannels)x\(inHeight)x\(inWidth) -> \(outChannels))") }
  }
}

extension Conv2DGeometry {
  /// Whether each group has one input and one output channel: runtimes convolve such
  /// layers directly from `[M, 1, KH, KW]` weights rather than through a GEMM.
  public var runsDepthwise: Bool { groups > 1 && inChannelsPerGroup == 1 && outChannelsPerGroup == 1 }

  /// Whether a depthwise conv's runtime takes 16 channels at a time, vectors across channels:
  /// output planes up to 28x28, where a plane at a time leaves vector lanes idle and its
  /// per-plane costs outweigh its taps, and strided convs, whose planes would each be copied
  /// into a zero-padded, stride-split plane (the channel blocks stream the input's rows through
  /// a ring, where a stride is a step between pixels). Stride-1 convs over larger planes stay
  /// planes: transposing their rows into 16-channel pixels and back costs more than the padded
  /// copy. Measured on single layers with SiLU (1 thread, Zen 4, minima of alternated runs,
  /// planes -> blocks): 5x5 over 1152 channels at 7x7 0.211 -> 0.147 ms; 5x5 over 240 at 28x28
  /// 0.446 -> 0.388; 3x3/2 over 96 channels from 112x112 0.546 -> 0.427 (ReLU6); 3x3 over 144 at
  /// 56x56 0.600 -> 0.696 (so planes). The ring holds at least the rows one output row's taps
  /// reach: when those hold over 16K pixels (a MiB of scratch a thread), planes.
  public var runsDepthwiseInChannelBlocks: Bool {
    let reach = (
      rows: (window.kernelHeight - 1) * window.dilationHeight + 1,
      columns: (outWidth - 1) * window.strideWidth + (window.kernelWidth - 1) * window.dilationWidth + 1)
    let strided = window.strideHeight > 1 || window.strideWidth > 1
    return runsDepthwise && (outHeight * outWidth <= 784 || strided) && reach.rows * reach.columns <= 16384
  }

  /// Whether a conv with ``GemmPanels`` weights runs as GEMM tiles over its image's shifted rows
  /// (GraphRuntime's `ShiftedConv`) instead of over packed im2col panels. At stride 1 a tap's
  /// im2col row is the zero-bordered image shifted by a constant, so a tile reads it where it
  /// lies. Packing a panel pays off over many rows of A; here there are at most 24 output
  /// channels a group (4 tile panels: LeNet, ResNeXt's and RegNet's small groups), or 64 in a
  /// grouped conv (below). Not for a 1x1 unpadded conv, whose B is the image already, nor when
  /// one image's bordered copy would pass ``maxBorderedFloats``.
  ///
  /// The tiles run along the bordered rows, so each output row carries `(kw - 1) * dw` columns
  /// of tile work that are dropped: with `P` panels of rows, shifted tiles cost `P` tile runs
  /// each and im2col's `P + 1` (about one run to pack a panel), so the shifted way is taken when
  /// its tiles times `P` stay within im2col's times `P + 1`. Measured at 1 thread on Zen 3, im2col
  /// -> shifted: RegNet-Y-400MF's grouped convs 3.71 -> 3.15 ms (7x7 ones 0.92x), ResNeXt-50's
  /// 13.6 -> 10.1 ms (56x56 with 4 channels a group 0.58x); LeNet's 6→16 5x5 at 10x10 (14 columns
  /// a row for 10 outputs, 16 rows) ran 1.2x slower shifted, and the rule keeps it on im2col, as
  /// it does GoogLeNet's 5x5 convs with 48 to 128 outputs (1.1x slower shifted).
  ///
  /// A grouped conv runs one small GEMM per group, which pads its columns to whole tiles and
  /// pays its own set-up, so there im2col's columns count padded to whole tiles, and groups of up
  /// to 64 output channels qualify: 32 groups of 32 channels at 7x7 0.82 -> 0.62 ms and at 14x14
  /// 2.47 -> 1.98, of 32 at 28x28 (16 groups) 3.99 -> 3.61, of 64 at 7x7 2.17 -> 1.98 (batch 1;
  /// at batch 8, 0.78x, 0.90x and 0.93x for the 7x7 and 14x14 ones).
  public var runsShifted: Bool {
    let w = window
    let pointwise = w.kernelHeight == 1 && w.kernelWidth == 1 && w.isUnpadded
    let borderedWidth = inWidth + w.padLeft + w.padRight
    let borderedFloats = inChannels * (inHeight + w.padTop + w.padBottom) * borderedWidth
    let maxRows = groups > 1 ? 64 : 4 * GemmPanels.rowsPerPanel
    guard
      w.strideHeight == 1 && w.strideWidth == 1 && !pointwise && !runsDepthwise && outHeight > 0 && outWidth > 0
        && outChannelsPerGroup <= maxRows && (w.isUnpadded || borderedFloats <= Self.maxBorderedFloats)
    else { return false }
    let panels = (outChannelsPerGroup + GemmPanels.rowsPerPanel - 1) / GemmPanels.rowsPerPanel
    let shiftedTiles = ((outHeight - 1) * borderedWidth + outWidth + 15) / 16
    let im2colColumns = groups > 1 ? (outHeight * outWidth + 15) / 16 * 16 : outHeight * outWidth
    return 16 * shiftedTiles * panels <= im2colColumns * (panels + 1)
  }

  /// The largest zero-bordered copy of a conv's input a runtime makes (16 MiB).
  public static let maxBorderedFloats = 1 << 22

  /// Floats of the weights packed as ``GemmPanels``: each group's `[M/g, C/g * KH * KW]` matrix.
  public var packedWeightCount: Int {
    groups * GemmPanels.count(rows: outChannelsPerGroup, depth: inChannelsPerGroup * window.kernelHeight * window.kernelWidth)
  }
}
