/// A 2-D sliding window: its size, strides, pads and dilations, and the output-extent
/// arithmetic every convolution and pooling shares.
///
/// Output position `o` along an axis covers input positions
/// `o * stride - padBegin + k * dilation` for `k` in `0..<kernel`.
public struct Window2D: Sendable, Equatable, BitwiseCopyable {
  /// Window rows.
  public var kernelHeight: Int
  /// Window columns.
  public var kernelWidth: Int
  /// Vertical step between windows.
  public var strideHeight: Int
  /// Horizontal step between windows.
  public var strideWidth: Int
  /// Padding rows above the input.
  public var padTop: Int
  /// Padding columns left of the input.
  public var padLeft: Int
  /// Padding rows below the input.
  public var padBottom: Int
  /// Padding columns right of the input.
  public var padRight: Int
  /// Vertical spacing of window taps (1 = dense window).
  public var dilationHeight: Int
  /// Horizontal spacing of window taps (1 = dense window).
  public var dilationWidth: Int

  /// Creates a window; strides and dilations default to 1, pads to 0.
  public init(
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
    dilationHeight: Int = 1, dilationWidth: Int = 1
  ) {
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.padTop = padTop
    self.padLeft = padLeft
    self.padBottom = padBottom
    self.padRight = padRight
    self.dilationHeight = dilationHeight
    self.dilationWidth = dilationWidth
  }

  /// The fields in plan-file order (see docs/plan-format.md); encoding and decoding both walk this list.
  static var fileFields: [WritableKeyPath<Window2D, Int>] {
    [\.kernelHeight, \.kernelWidth, \.strideHeight, \.strideWidth,
     \.padTop, \.padLeft, \.padBottom, \.padRight, \.dilationHeight, \.dilationWidth]
  }

  /// The output extent along one axis, as ONNX (opset 19+) and PyTorch compute it:
  /// `(input + pads - dilation * (kernel - 1) - 1) / stride + 1`, or 0 when the window
  /// does not fit the padded input.
  ///
  /// With `ceilMode` the division rounds up, but a last window that would start past the
  /// input and the begin padding (i.e. entirely in the extra end region) is dropped.
  public static func outputExtent(
    input: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int, dilation: Int = 1, ceilMode: Bool = false
  ) -> Int {
    let span = input + padBegin + padEnd - dilation * (kernel - 1) - 1
    if span < 0 { return 0 }
    var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode && (out - 1) * stride >= input + padBegin { out -= 1 }
    return out
  }

  /// Output rows for an input of `inHeight` rows.
  public func outputHeight(input inHeight: Int, ceilMode: Bool = false) -> Int {
    Self.outputExtent(
      input: inHeight, kernel: kernelHeight, stride: strideHeight, padBegin: padTop, padEnd: padBottom,
      dilation: dilationHeight, ceilMode: ceilMode)
  }

  /// Output columns for an input of `inWidth` columns.
  public func outputWidth(input inWidth: Int, ceilMode: Bool = false) -> Int {
    Self.outputExtent(
      input: inWidth, kernel: kernelWidth, stride: strideWidth, padBegin: padLeft, padEnd: padRight,
      dilation: dilationWidth, ceilMode: ceilMode)
  }

  /// The product of `factors` when it stays within 2^40 (the largest count a plan may
  /// name), else nil: sizes are checked this way before any kernel multiplies them.
  public static func checkedProduct(_ factors: [Int]) -> Int? {
    var product = 1
    for f in factors {
      let (p, overflow) = product.multipliedReportingOverflow(by: f)
      guard !overflow, p <= 1 << 40 else { return nil }
      product = p
    }
    return product
  }

  /// Whether every pad is zero.
  public var isUnpadded: Bool { padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0 }

  /// Checks sizes, strides and dilations are positive and pads not negative;
  /// returns a description of the first violation, or nil.
  func violation() -> String? {
    let all = Self.fileFields.map { self[keyPath: $0] }
    if all.contains(where: { $0 >= 1 << 31 }) { return "parameter out of range" }
    if kernelHeight <= 0 || kernelWidth <= 0 { return "non-positive kernel" }
    if strideHeight <= 0 || strideWidth <= 0 || dilationHeight <= 0 || dilationWidth <= 0 {
      return "non-positive stride or dilation"
    }
    if min(padTop, padLeft, padBottom, padRight) < 0 { return "negative padding" }
    return nil
  }
}

/// A geometry whose window fields read and write through its ``Window2D``
/// (`geometry.kernelHeight` is `geometry.window.kernelHeight`).
@dynamicMemberLookup
public protocol WindowedGeometry {
  /// The sliding window.
  var window: Window2D { get set }
}

extension WindowedGeometry {
  /// The window's fields, as if they were the geometry's own.
  @inlinable
  public subscript(dynamicMember field: WritableKeyPath<Window2D, Int>) -> Int {
    get { window[keyPath: field] }
    set { window[keyPath: field] = newValue }
  }
}

/// How a geometry is stored in a plan file: a list of ints, each either a stored field or
/// a derived one that is written for readers of the format and checked on reading.
enum GeometryField<G> {
  case stored(WritableKeyPath<G, Int>)
  case derived(KeyPath<G, Int>)

  var path: KeyPath<G, Int> {
    switch self {
    case .stored(let p): return p
    case .derived(let p): return p
    }
  }

  /// The window's fields, as fields of the geometry holding it at `window`.
  static func window(_ window: WritableKeyPath<G, Window2D>) -> [GeometryField<G>] {
    Window2D.fileFields.map { .stored(window.appending(path: $0)) }
  }
}

extension ByteWriter {
  /// A geometry as its list of ints, in the order `fields` gives.
  mutating func geometry<G>(_ g: G, _ fields: [GeometryField<G>]) {
    ints(fields.map { g[keyPath: $0.path] })
  }
}

extension ByteReader {
  /// Reads a geometry written by ``ByteWriter/geometry(_:_:)`` into `blank`; derived fields
  /// are returned as read, by position, for the caller to check once the geometry is valid.
  mutating func geometry<G>(_ blank: G, _ fields: [GeometryField<G>], kind: String) throws -> (G, [Int: Int]) {
    let v = try ints()
    guard v.count == fields.count else { throw PlanError.format("\(context): \(kind) step has \(v.count) parameters") }
    var g = blank
    var derived: [Int: Int] = [:]
    for (i, field) in fields.enumerated() {
      switch field {
      case .stored(let p): g[keyPath: p] = v[i]
      case .derived: derived[i] = v[i]
      }
    }
    return (g, derived)
  }
}
