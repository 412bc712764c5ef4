import GraphIR
import GraphPlan

/// The window geometry Conv and the pools share: kernel, strides, dilations,
/// pads and auto_pad, and the output size they give along each spatial axis.
struct SlidingWindow {
  var kernel: [Int]
  var strides: [Int]
  var dilations: [Int]
  /// Begin pads for every axis, then end pads (ONNX order).
  var pads: [Int]
  var autoPad: String
  var ceilMode: Bool

  /// Bounds that keep every size computation far from integer overflow.
  static let maxAttribute = 1 << 24

  /// Reads and checks the window attributes of `n` for `kernel` over `rank` spatial axes.
  init(_ n: some NodeOperands, kernel: [Int], ceilMode: Bool = false) throws {
    let rank = kernel.count
    func list(_ key: String, default value: Int, count: Int, min: Int) throws -> [Int] {
      let v = try n.node.ints(key) ?? Array(repeating: value, count: count)
      guard v.count == count else {
        throw n.error("\(key) has \(v.count) values, expected \(count) for \(rank) spatial axes")
      }
      guard v.allSatisfy({ $0 >= min && $0 <= Self.maxAttribute }) else {
        throw n.error("\(key) \(v) must be between \(min) and \(Self.maxAttribute)")
      }
      return v
    }
    guard kernel.allSatisfy({ $0 >= 1 && $0 <= Self.maxAttribute }) else {
      throw n.error("kernel_shape \(kernel) must be positive")
    }
    self.kernel = kernel
    strides = try list("strides", default: 1, count: rank, min: 1)
    dilations = try list("dilations", default: 1, count: rank, min: 1)
    pads = try list("pads", default: 0, count: 2 * rank, min: 0)
    autoPad = try n.node.string("auto_pad", default: "NOTSET")
    guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
      throw n.error("auto_pad '\(autoPad)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
    }
    self.ceilMode = ceilMode
  }

  /// The window as the 2-D kernels take it: a 1-D window over `[L]` becomes a 2-D one over
  /// `[1, L]` whose first axis has kernel, stride and dilation 1 and no padding (so `auto_pad`
  /// adds none there either); a 2-D window stays as it is. 1-D convolutions and pools run on the
  /// 2-D kernels this way, on a view of height 1.
  var planar: SlidingWindow {
    guard kernel.count == 1 else { return self }
    var w = self
    w.kernel = [1] + kernel
    w.strides = [1] + strides
    w.dilations = [1] + dilations
    w.pads = [0, pads[0], 0, pads[1]]
    return w
  }

  /// Spatial sizes `[L]` as ``planar`` takes them, `[1, L]`; others as they are.
  static func planar(_ spatial: [Int]) -> [Int] { spatial.count == 1 ? [1] + spatial : spatial }

  /// Explicit pads (all begins, then all ends, as ONNX orders them) for spatial sizes
  /// `input` producing `output`, with `auto_pad` resolved.
  func explicitPads(input: [Int], output: [Int]) -> [Int] {
    let rank = kernel.count
    switch autoPad {
    case "VALID":
      return Array(repeating: 0, count: 2 * rank)
    case "SAME_UPPER", "SAME_LOWER":
      var begins: [Int] = [], ends: [Int] = []
      for i in 0..<rank {
        let total = max(0, (output[i] - 1) * strides[i] + effectiveKernel(i) - input[i])
        // SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning.
        let begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
        begins.append(begin)
        ends.append(total - begin)
      }
      return begins + ends
    default:
      return pads
    }
  }

  /// The window as the plan's N-D kernels take it, with `pads` resolved by ``resolve(_:_:inputShape:)``.
  func windowND(pads: [Int]) -> WindowND {
    WindowND(
      kernel: kernel, strides: strides, dilations: dilations, padsBegin: Array(pads[..<kernel.count]),
      padsEnd: Array(pads[kernel.count...]))
  }

  /// Output sizes for the spatial dims `input` (already without batch and channels).
  func outputDims(_ input: [Dim], _ n: NodeContext, inputShape: Shape) throws -> [Dim] {
    try input.enumerated().map { i, dim in
      guard case .fixed(let size) = dim else { return symbolicOutput(dim, axis: i) }
      return .fixed(try outputSize(size, axis: i, n, inputShape: inputShape))
    }
  }

  /// The output size over a symbolic input size, as an expression of it that a user can read and
  /// that is equal exactly when it is: `H` (a window that keeps every size), `H-2`, `(H-2)/2+1`,
  /// `ceil((H-2)/2)+1`, `ceil(H/2)` (SAME with stride 2). `/` is integer division.
  func symbolicOutput(_ dim: Dim, axis i: Int) -> Dim {
    let h = DimProduct.isAtomic(dim.description) ? dim.description : "(\(dim.description))"
    let stride = strides[i]
    if autoPad.hasPrefix("SAME") { return stride == 1 ? dim : .symbol("ceil(\(h)/\(stride))") }
    let padding = autoPad == "VALID" ? 0 : pads[i] + pads[i + kernel.count]
    let shift = padding - effectiveKernel(i)  // output = (h + shift) / stride + 1
    func plus(_ x: String, _ k: Int) -> String { k == 0 ? x : k > 0 ? "\(x)+\(k)" : "\(x)\(k)" }
    if stride == 1 { return shift + 1 == 0 ? dim : .symbol(plus(h, shift + 1)) }
    let quotient = shift == 0 ? "\(h)/\(stride)" : "(\(plus(h, shift)))/\(stride)"
    return .symbol(plus(ceilMode ? "ceil(\(quotient))" : quotient, 1))
  }

  func effectiveKernel(_ i: Int) -> Int { (kernel[i] - 1) * dilations[i] + 1 }

  func outputSize(_ size: Int, axis i: Int, _ n: some NodeOperands, inputShape: Shape) throws -> Int {
    let stride = strides[i]
    if autoPad.hasPrefix("SAME") { return (size + stride - 1) / stride }
    let (padBegin, padEnd) = autoPad == "VALID" ? (0, 0) : (pads[i], pads[i + kernel.count])
    let padded = size + padBegin + padEnd
    let window = effectiveKernel(i)
    guard padded >= window else {
      throw n.error("window \(window) (kernel \(kernel[i]), dilation \(dilations[i])) is larger than spatial axis \(i + 2) of input \(inputShape) with pads \(padBegin)+\(padEnd)")
    }
    // The extent itself (floor or ceil mode) is the plan's one window formula.
    return Window2D.outputExtent(
      input: size, kernel: kernel[i], stride: stride, padBegin: padBegin, padEnd: padEnd, dilation: dilations[i],
      ceilMode: ceilMode)
  }

  /// Output sizes and explicit pads for concrete spatial sizes (evaluation and lowering).
  func resolve(_ input: [Int], _ n: some NodeOperands, inputShape: Shape) throws -> (output: [Int], pads: [Int]) {
    let output = try input.indices.map { try outputSize(input[$0], axis: $0, n, inputShape: inputShape) }
    return (output, explicitPads(input: input, output: output))
  }
}
