/// The window arithmetic of a pool over any number of spatial axes for one batch item:
/// channels, input and output sizes and the ``WindowND``. The plan's ``PoolingND`` and the
/// kernels' ``PoolNDParameters`` hold one.
///
/// Input `[channels, inSizes...]`, output `[channels, outSizes...]`. As in ``Pool2DGeometry``
/// the output sizes are stored (the compiler computes them, with `ceil_mode` if set), and
/// positions a ceil-mode window puts beyond the end padding never count.
public struct PoolNDGeometry: Sendable, Equatable {
  /// Channels of input and output (pooling never mixes channels).
  public var channels: Int
  /// Input sizes per spatial axis.
  public var inSizes: [Int]
  /// Output sizes per spatial axis.
  public var outSizes: [Int]
  /// Window sizes, strides, pads and dilations.
  public var window: WindowND

  /// Creates a geometry.
  public init(channels: Int, inSizes: [Int], outSizes: [Int], window: WindowND) {
    self.channels = channels
    self.inSizes = inSizes
    self.outSizes = outSizes
    self.window = window
  }

  /// A 2-D geometry as one over two axes.
  public init(_ g: Pool2DGeometry) {
    self.init(
      channels: g.channels, inSizes: [g.inHeight, g.inWidth], outSizes: [g.outHeight, g.outWidth], window: WindowND(g.window))
  }

  /// Input positions per channel.
  public var inVolume: Int { inSizes.reduce(1, *) }
  /// Output positions per channel.
  public var outVolume: Int { outSizes.reduce(1, *) }
  /// Floats of input per batch item.
  public var inputCountPerItem: Int { channels * inVolume }
  /// Floats of output per batch item.
  public var outputCountPerItem: Int { channels * outVolume }

  /// The ints of a pool-nd step in a plan file: rank, channels, the input sizes, the output sizes, then the window.
  var fileInts: [Int] { [inSizes.count, channels] + inSizes + outSizes + window.fileInts }

  /// Reads ``fileInts``.
  static func read(_ v: [Int], context: String) throws -> PoolNDGeometry {
    guard let rank = v.first, rank >= 1, rank <= WindowND.maxRank, v.count == 2 + 7 * rank else {
      throw PlanError.format("\(context): pool-nd step has \(v.count) parameters")
    }
    return PoolNDGeometry(
      channels: v[1], inSizes: Array(v[2..<(2 + rank)]), outSizes: Array(v[(2 + rank)..<(2 + 2 * rank)]),
      window: WindowND(fileInts: v[(2 + 2 * rank)...], rank: rank))
  }

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw PlanError.format("PoolND: \(s)") }
    if let problem = window.violation() { try fail(problem) }
    if inSizes.count != window.rank || outSizes.count != window.rank {
      try fail("\(inSizes.count) input and \(outSizes.count) output sizes for a \(window.rank)-axis window")
    }
    if ([channels] + inSizes + outSizes).contains(where: { $0 >= 1 << 31 }) { try fail("parameter out of range") }
    if ([channels] + inSizes).contains(where: { $0 <= 0 }) { try fail("non-positive shape") }
    if outSizes.contains(where: { $0 <= 0 }) { try fail("empty output \(outSizes)") }
    let padded = inSizes.indices.map { inSizes[$0] + window.padsBegin[$0] + window.padsEnd[$0] }
    if [[channels] + inSizes, [channels] + outSizes, [channels] + padded, window.kernel].contains(where: { Window2D.checkedProduct($0) == nil }) {
      try fail("sizes overflow (\(channels)x\(inSizes))")
    }
    // Every window must start inside the input or its leading padding.
    for i in inSizes.indices where (outSizes[i] - 1) * window.strides[i] >= inSizes[i] + window.padsBegin[i] {
      try fail("windows along axis \(i) start beyond the input")
    }
  }
}
