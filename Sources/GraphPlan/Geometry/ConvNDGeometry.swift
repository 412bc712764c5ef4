/// What a convolution over any number of spatial axes computes for one batch item: channels,
/// spatial sizes, the ``WindowND`` and groups. The plan's ``ConvolutionND`` and the kernels'
/// ``ConvNDParameters`` hold one.
///
/// Input `[inChannels, inSizes...]`, output `[outChannels, outSizes...]`; weights
/// `[outChannels, inChannels / groups, kernel...]`, as ONNX gives them. Runtimes run 1-D and
/// 2-D convolutions as ``Conv2DGeometry``; the reference kernels serve every rank with this.
public struct ConvNDGeometry: Sendable, Equatable {
  /// Input channels (C).
  public var inChannels: Int
  /// Input sizes per spatial axis.
  public var inSizes: [Int]
  /// Output channels (M).
  public var outChannels: Int
  /// Kernel sizes, strides, pads and dilations.
  public var window: WindowND
  /// Channel groups; `inChannels` and `outChannels` are both multiples of it.
  public var groups: Int

  /// Creates a geometry.
  public init(inChannels: Int, inSizes: [Int], outChannels: Int, window: WindowND, groups: Int = 1) {
    self.inChannels = inChannels
    self.inSizes = inSizes
    self.outChannels = outChannels
    self.window = window
    self.groups = groups
  }

  /// A 2-D geometry as one over two axes.
  public init(_ g: Conv2DGeometry) {
    self.init(
      inChannels: g.inChannels, inSizes: [g.inHeight, g.inWidth], outChannels: g.outChannels, window: WindowND(g.window),
      groups: g.groups)
  }

  /// Output sizes per axis (0 where the window does not fit).
  public var outSizes: [Int] { inSizes.indices.map { window.outputExtent(axis: $0, input: inSizes[$0]) } }
  /// Input positions per channel.
  public var inVolume: Int { inSizes.reduce(1, *) }
  /// Output positions per channel.
  public var outVolume: Int { outSizes.reduce(1, *) }
  /// Input channels seen by one group.
  public var inChannelsPerGroup: Int { inChannels / groups }
  /// Output channels produced by one group.
  public var outChannelsPerGroup: Int { outChannels / groups }
  /// The depth of one group's GEMM: `C/g` times the window's taps.
  public var depthPerGroup: Int { inChannelsPerGroup * window.taps }
  /// Floats in the weight tensor.
  public var weightCount: Int { outChannels * depthPerGroup }
  /// Floats of the weights packed as ``GemmPanels``: each group's `[M/g, C/g * taps]` matrix.
  public var packedWeightCount: Int { groups * GemmPanels.count(rows: outChannelsPerGroup, depth: depthPerGroup) }
  /// Floats of input per batch item.
  public var inputCountPerItem: Int { inChannels * inVolume }
  /// Floats of output per batch item (the convolution's own channels only).
  public var outputCountPerItem: Int { outChannels * outVolume }

  /// The ints of a conv-nd step in a plan file: rank, inChannels, outChannels, groups, the input
  /// sizes, the output sizes (stored for readers, checked against the geometry), then the window.
  var fileInts: [Int] { [inSizes.count, inChannels, outChannels, groups] + inSizes + outSizes + window.fileInts }

  /// Reads ``fileInts``; returns the geometry and the stored output sizes.
  static func read(_ v: [Int], context: String) throws -> (ConvNDGeometry, outSizes: [Int]) {
    guard let rank = v.first, rank >= 1, rank <= WindowND.maxRank, v.count == 4 + 7 * rank else {
      throw PlanError.format("\(context): conv-nd step has \(v.count) parameters")
    }
    let g = ConvNDGeometry(
      inChannels: v[1], inSizes: Array(v[4..<(4 + rank)]), outChannels: v[2],
      window: WindowND(fileInts: v[(4 + 2 * rank)...], rank: rank), groups: v[3])
    return (g, Array(v[(4 + rank)..<(4 + 2 * rank)]))
  }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  /// Safe on arbitrary values (it checks ranges before computing sizes).
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw PlanError.format("ConvND: \(s)") }
    if let problem = window.violation() { try fail(problem) }
    if inSizes.count != window.rank { try fail("\(inSizes.count) input sizes for a \(window.rank)-axis window") }
    if ([inChannels, outChannels, groups] + inSizes).contains(where: { $0 >= 1 << 31 }) { try fail("parameter out of range") }
    if ([inChannels, outChannels] + inSizes).contains(where: { $0 <= 0 }) { try fail("non-positive shape") }
    if groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0 {
      try fail("groups \(groups) does not divide channels \(inChannels) -> \(outChannels)")
    }
    if outSizes.contains(where: { $0 <= 0 }) { try fail("empty output \(outSizes)") }
    // Every size a kernel computes from these must fit, or validation itself would trap.
    let counts = [
      [inChannels] + inSizes, [outChannels] + outSizes, [outChannels, inChannelsPerGroup] + window.kernel,
      [GemmPanels.count(rows: 1, depth: 1), groups, outChannelsPerGroup + GemmPanels.rowsPerPanel, inChannelsPerGroup]
        + window.kernel,  // packed weights
    ]
    if counts.contains(where: { Window2D.checkedProduct($0) == nil }) { try fail("sizes overflow (\(inChannels)x\(inSizes) -> \(outChannels))") }
  }
}
