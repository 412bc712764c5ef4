/// What a transposed convolution (ONNX ConvTranspose) computes for one batch item, over any
/// number of spatial axes: channels, input and output sizes, the window and groups.
///
/// Input `[inChannels, inSizes...]`, output `[outChannels, outSizes...]`; weights
/// `[inChannels, outChannels / groups, kernel...]`, as ONNX gives them. Input position `i` and
/// tap `k` along axis `a` add into output position `i * strides[a] + k * dilations[a] - padsBegin[a]`;
/// contributions outside `0 ..< outSizes[a]` are dropped, and output positions no contribution
/// reaches hold the bias alone. The output sizes are stored, not derived: ONNX sets them from
/// pads, `output_padding` or `output_shape`, and only the begin pads and the sizes matter here.
/// A begin pad may be negative (an `output_shape` or `auto_pad` larger than the window reaches).
public struct ConvTransposeGeometry: Sendable, Equatable {
  /// Input channels (C).
  public var inChannels: Int
  /// Input sizes per spatial axis.
  public var inSizes: [Int]
  /// Output channels (M).
  public var outChannels: Int
  /// Output sizes per spatial axis.
  public var outSizes: [Int]
  /// Window sizes per axis.
  public var kernel: [Int]
  /// Output step between consecutive input positions, per axis.
  public var strides: [Int]
  /// Spacing of window taps per axis.
  public var dilations: [Int]
  /// Output positions cropped before the first, per axis (negative: leading positions left at the bias).
  public var padsBegin: [Int]
  /// Channel groups; `inChannels` and `outChannels` are both multiples of it.
  public var groups: Int

  /// Creates a geometry; strides and dilations default to 1, begin pads to 0.
  public init(
    inChannels: Int, inSizes: [Int], outChannels: Int, outSizes: [Int], kernel: [Int], strides: [Int]? = nil,
    dilations: [Int]? = nil, padsBegin: [Int]? = nil, groups: Int = 1
  ) {
    self.inChannels = inChannels
    self.inSizes = inSizes
    self.outChannels = outChannels
    self.outSizes = outSizes
    self.kernel = kernel
    self.strides = strides ?? Array(repeating: 1, count: kernel.count)
    self.dilations = dilations ?? Array(repeating: 1, count: kernel.count)
    self.padsBegin = padsBegin ?? Array(repeating: 0, count: kernel.count)
    self.groups = groups
  }

  /// Spatial axes.
  public var rank: Int { kernel.count }
  /// Taps of one window.
  public var taps: Int { kernel.reduce(1, *) }
  /// Input positions per channel.
  public var inVolume: Int { inSizes.reduce(1, *) }
  /// Output positions per channel.
  public var outVolume: Int { outSizes.reduce(1, *) }
  /// Input channels of one group.
  public var inChannelsPerGroup: Int { inChannels / groups }
  /// Output channels of one group.
  public var outChannelsPerGroup: Int { outChannels / groups }
  /// Rows of one group's column matrix: `M/g` times the taps (the GEMM's `m`).
  public var columnRowsPerGroup: Int { outChannelsPerGroup * taps }
  /// Floats in the weight tensor.
  public var weightCount: Int { inChannels * columnRowsPerGroup }
  /// Floats of the weights packed as ``GemmPanels``: each group's `[M/g * taps, C/g]` matrix.
  public var packedWeightCount: Int { groups * GemmPanels.count(rows: columnRowsPerGroup, depth: inChannelsPerGroup) }
  /// Floats of input per batch item.
  public var inputCountPerItem: Int { inChannels * inVolume }
  /// Floats of output per batch item.
  public var outputCountPerItem: Int { outChannels * outVolume }

  /// The output size ONNX gives along axis `a` for begin and end pads and `output_padding`:
  /// `stride * (in - 1) + outputPadding + (kernel - 1) * dilation + 1 - padBegin - padEnd`.
  public static func outputSize(input: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int, outputPadding: Int) -> Int {
    stride * (input - 1) + outputPadding + (kernel - 1) * dilation + 1 - padBegin - padEnd
  }

  /// `[M/g * taps, C/g]` per group, in ``GemmPanels`` order, from `[C, M/g, kernel...]` weights:
  /// the left operand of the GEMM that makes a group's columns.
  public func packedWeights(_ weights: UnsafeBufferPointer<Float>) -> [Float] {
    let cg = inChannelsPerGroup, rows = columnRowsPerGroup
    var out: [Float] = []
    out.reserveCapacity(packedWeightCount)
    var transposed = [Float](repeating: 0, count: rows * cg)
    for group in 0..<groups {
      let first = group * cg * rows
      for c in 0..<cg {
        for r in 0..<rows { transposed[r * cg + c] = weights[first + c * rows + r] }
      }
      out += transposed.withUnsafeBufferPointer { GemmPanels.pack($0, rows: rows, depth: cg) }
    }
    return out
  }

  /// The ints of a conv-transpose step in a plan file, pads apart (they may be negative): rank,
  /// inChannels, outChannels, groups, then per axis the input sizes, output sizes, kernel,
  /// strides and dilations.
  var fileInts: [Int] { [rank, inChannels, outChannels, groups] + inSizes + outSizes + kernel + strides + dilations }

  /// Reads ``fileInts`` and the begin pads.
  static func read(_ v: [Int], padsBegin: [Int], context: String) throws -> ConvTransposeGeometry {
    guard let rank = v.first, rank >= 1, rank <= WindowND.maxRank, v.count == 4 + 5 * rank, padsBegin.count == rank else {
      throw PlanError.format("\(context): conv-transpose step has \(v.count) parameters and \(padsBegin.count) pads")
    }
    func part(_ i: Int) -> [Int] { Array(v[(4 + i * rank)..<(4 + (i + 1) * rank)]) }
    return ConvTransposeGeometry(
      inChannels: v[1], inSizes: part(0), outChannels: v[2], outSizes: part(1), kernel: part(2), strides: part(3),
      dilations: part(4), padsBegin: padsBegin, groups: v[3])
  }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  /// Safe on arbitrary values (it checks ranges before computing sizes).
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw PlanError.format("ConvTranspose: \(s)") }
    if rank < 1 || rank > WindowND.maxRank { try fail("\(rank) spatial axes (1 to \(WindowND.maxRank) allowed)") }
    if [inSizes, outSizes, strides, dilations, padsBegin].contains(where: { $0.count != rank }) { try fail("lists of different lengths") }
    let sizes = [inChannels, outChannels, groups] + inSizes + outSizes + kernel + strides + dilations
    if sizes.contains(where: { $0 <= 0 || $0 >= 1 << 31 }) { try fail("sizes, strides and dilations must be in 1 ..< 2^31") }
    if padsBegin.contains(where: { $0 <= -(1 << 31) || $0 >= 1 << 31 }) { try fail("pad out of range") }
    if inChannels % groups != 0 || outChannels % groups != 0 {
      try fail("groups \(groups) does not divide channels \(inChannels) -> \(outChannels)")
    }
    // Every size a kernel computes from these must fit, or validation itself would trap.
    let counts = [
      [inChannels] + inSizes, [outChannels] + outSizes, [inChannels, outChannelsPerGroup] + kernel,
      [GemmPanels.count(rows: 1, depth: 1), groups, outChannelsPerGroup + GemmPanels.rowsPerPanel, inChannelsPerGroup] + kernel,
    ]
    if counts.contains(where: { Window2D.checkedProduct($0) == nil }) { try fail("sizes overflow (\(inChannels)x\(inSizes) -> \(outChannels)x\(outSizes))") }
    // Where a tap lands: i * stride + k * dilation stays far from overflow.
    for a in 0..<rank where Window2D.checkedProduct([inSizes[a] + kernel[a], max(strides[a], dilations[a]), 4]) == nil {
      try fail("axis \(a) reaches beyond 2^62")
    }
  }
}
