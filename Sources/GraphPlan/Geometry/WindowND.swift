/// A sliding window over any number of spatial axes: per axis its size, stride, pads and
/// dilation. The 3-D (and wider) convolutions and pools hold one; ``Window2D`` stays the
/// 2-D kernels' own, and ``init(_:)`` reads one as this.
///
/// Output position `o` along axis `i` covers input positions
/// `o * strides[i] - padsBegin[i] + k * dilations[i]` for `k` in `0..<kernel[i]`.
public struct WindowND: Sendable, Equatable {
  /// Window size per axis.
  public var kernel: [Int]
  /// Step between windows per axis.
  public var strides: [Int]
  /// Spacing of window taps per axis (1 = dense window).
  public var dilations: [Int]
  /// Padding before the input per axis.
  public var padsBegin: [Int]
  /// Padding after the input per axis.
  public var padsEnd: [Int]

  /// The most spatial axes a plan's window may have (ONNX tests use up to 3).
  public static let maxRank = 8

  /// Creates a window; strides and dilations default to 1, pads to 0.
  public init(kernel: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, padsBegin: [Int]? = nil, padsEnd: [Int]? = nil) {
    let ones = [Int](repeating: 1, count: kernel.count), zeros = [Int](repeating: 0, count: kernel.count)
    self.kernel = kernel
    self.strides = strides ?? ones
    self.dilations = dilations ?? ones
    self.padsBegin = padsBegin ?? zeros
    self.padsEnd = padsEnd ?? zeros
  }

  /// A 2-D window as a window over two axes (rows, then columns).
  public init(_ w: Window2D) {
    self.init(
      kernel: [w.kernelHeight, w.kernelWidth], strides: [w.strideHeight, w.strideWidth],
      dilations: [w.dilationHeight, w.dilationWidth], padsBegin: [w.padTop, w.padLeft], padsEnd: [w.padBottom, w.padRight])
  }

  /// Spatial axes.
  public var rank: Int { kernel.count }
  /// Taps of one window (the product of the kernel sizes).
  public var taps: Int { kernel.reduce(1, *) }

  /// The output extent along axis `i` for `input` positions
  /// (``Window2D/outputExtent(input:kernel:stride:padBegin:padEnd:dilation:ceilMode:)``).
  public func outputExtent(axis i: Int, input: Int, ceilMode: Bool = false) -> Int {
    Window2D.outputExtent(
      input: input, kernel: kernel[i], stride: strides[i], padBegin: padsBegin[i], padEnd: padsEnd[i],
      dilation: dilations[i], ceilMode: ceilMode)
  }

  /// The fields in plan-file order: kernel, strides, begin pads, end pads, dilations (each `rank` ints).
  var fileInts: [Int] { kernel + strides + padsBegin + padsEnd + dilations }

  /// Reads ``fileInts`` of a window over `rank` axes.
  init(fileInts v: ArraySlice<Int>, rank: Int) {
    let s = v.startIndex
    func part(_ i: Int) -> [Int] { Array(v[(s + i * rank)..<(s + (i + 1) * rank)]) }
    self.init(kernel: part(0), strides: part(1), dilations: part(4), padsBegin: part(2), padsEnd: part(3))
  }

  /// Checks the axis count, that sizes, strides and dilations are positive and pads not
  /// negative; returns a description of the first violation, or nil.
  func violation() -> String? {
    if rank < 1 || rank > Self.maxRank { return "\(rank) spatial axes (1 to \(Self.maxRank) allowed)" }
    let lists = [strides, dilations, padsBegin, padsEnd]
    if lists.contains(where: { $0.count != rank }) { return "window lists of different lengths" }
    if fileInts.contains(where: { $0 >= 1 << 31 }) { return "parameter out of range" }
    if kernel.contains(where: { $0 <= 0 }) { return "non-positive kernel" }
    if (strides + dilations).contains(where: { $0 <= 0 }) { return "non-positive stride or dilation" }
    if (padsBegin + padsEnd).contains(where: { $0 < 0 }) { return "negative padding" }
    return nil
  }

  /// `3x3x3/2`, then its pads and dilations when not trivial: `3x3x3/1x2x2 pad 1,1,1 dil 2x2x2`.
  public var summary: String {
    func dims(_ v: [Int]) -> String { v.map(String.init).joined(separator: "x") }
    var s = dims(kernel) + "/" + (Set(strides).count == 1 ? "\(strides[0])" : dims(strides))
    if (padsBegin + padsEnd).contains(where: { $0 != 0 }) {
      s += " pad " + (padsBegin == padsEnd ? padsBegin : padsBegin + padsEnd).map(String.init).joined(separator: ",")
    }
    if dilations.contains(where: { $0 != 1 }) { s += " dil " + dims(dilations) }
    return s
  }
}
