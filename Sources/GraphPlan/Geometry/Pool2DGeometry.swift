/// The window arithmetic of a 2-D pool for one batch item: channels, input and output
/// sizes and the ``Window2D``. The plan's ``Pooling`` and the kernels'
/// ``Pool2DParameters`` both hold one.
///
/// Input `[channels, inHeight, inWidth]`, output `[channels, outHeight, outWidth]` (NCHW
/// without N), sizes in elements. `outHeight`/`outWidth` are stored, not derived: the
/// compiler computes them (with `ceil_mode` if set) using
/// ``Window2D/outputExtent(input:kernel:stride:padBegin:padEnd:dilation:ceilMode:)``. With `ceil_mode`,
/// the last window may run past the end padding; positions beyond the padding are never
/// counted, not even with `countIncludePad`. The window's fields read as the geometry's own.
public struct Pool2DGeometry: WindowedGeometry, Sendable, Equatable, BitwiseCopyable {
  /// Channels of input and output (pooling never mixes channels).
  public var channels: Int
  /// Input rows.
  public var inHeight: Int
  /// Input columns.
  public var inWidth: Int
  /// Output rows.
  public var outHeight: Int
  /// Output columns.
  public var outWidth: Int
  /// Window size, strides, pads and dilations.
  public var window: Window2D

  /// Creates a geometry from its window.
  public init(channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, window: Window2D) {
    self.channels = channels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outHeight = outHeight
    self.outWidth = outWidth
    self.window = window
  }

  /// Creates a geometry; strides and dilations default to 1, pads to 0.
  public init(
    channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1
  ) {
    self.init(
      channels: channels, inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth,
      window: Window2D(
        kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideHeight: strideHeight, strideWidth: strideWidth,
        padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
        dilationHeight: dilationHeight, dilationWidth: dilationWidth))
  }

  /// The output extent along one axis; see ``Window2D/outputExtent(input:kernel:stride:padBegin:padEnd:dilation:ceilMode:)``.
  public static func outputExtent(
    input: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int, dilation: Int = 1, ceilMode: Bool
  ) -> Int {
    Window2D.outputExtent(
      input: input, kernel: kernel, stride: stride, padBegin: padBegin, padEnd: padEnd, dilation: dilation,
      ceilMode: ceilMode)
  }

  /// Floats of input per batch item.
  public var inputCountPerItem: Int { channels * inHeight * inWidth }
  /// Floats of output per batch item.
  public var outputCountPerItem: Int { channels * outHeight * outWidth }

  /// The 15 ints of a pool step in a plan file, in order.
  static var fileFields: [GeometryField<Pool2DGeometry>] {
    [.stored(\.channels), .stored(\.inHeight), .stored(\.inWidth), .stored(\.outHeight), .stored(\.outWidth)]
      + GeometryField.window(\.window)
  }

  /// A geometry to decode into.
  static let blank = Pool2DGeometry(channels: 0, inHeight: 0, inWidth: 0, outHeight: 0, outWidth: 0, kernelHeight: 0, kernelWidth: 0)

  /// Checks the invariants kernels rely on; throws a description of the first violation.
  public func validate() throws {
    func fail(_ s: String) throws -> Never { throw PlanError.format("Pool2D: \(s)") }
    if [channels, inHeight, inWidth, outHeight, outWidth].contains(where: { $0 >= 1 << 31 }) { try fail("parameter out of range") }
    if let problem = window.violation() { try fail(problem) }
    if channels <= 0 || inHeight <= 0 || inWidth <= 0 { try fail("non-positive shape") }
    if outHeight <= 0 || outWidth <= 0 { try fail("empty output \(outHeight)x\(outWidth)") }
    if Window2D.checkedProduct([channels, inHeight, inWidth]) == nil || Window2D.checkedProduct([channels, outHeight, outWidth]) == nil {
      try fail("sizes overflow (\(channels)x\(inHeight)x\(inWidth))")
    }
  }
}
