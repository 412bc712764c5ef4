/// One axis of a resize: output position `i` is `Σ_k weights[i * taps + k] * input[positions[i * taps + k]]`
/// along the axis. Linear interpolation has two taps, cubic four, antialiased downsampling more; an axis
/// left alone has one tap of weight 1.
public struct ResizeAxis: Equatable, Sendable {
  /// The input positions read per output position.
  public var taps: Int
  /// `taps` input positions per output position, each within the input axis.
  public var positions: [Int]
  /// One weight per position.
  public var weights: [Float]

  public init(taps: Int, positions: [Int], weights: [Float]) { (self.taps, self.positions, self.weights) = (taps, positions, weights) }

  /// An axis of `size` left as it is.
  public init(identity size: Int) { self.init(taps: 1, positions: Array(0..<size), weights: Array(repeating: 1, count: size)) }

  /// Linear interpolation: output `i` is `(1 - weights[i]) * input[low[i]] + weights[i] * input[high[i]]`.
  public static func linear(low: [Int], high: [Int], weights: [Float]) -> ResizeAxis {
    precondition(low.count == high.count && low.count == weights.count, "one low, high and weight per position")
    return ResizeAxis(
      taps: 2, positions: low.indices.flatMap { [low[$0], high[$0]] }, weights: weights.flatMap { [1 - $0, $0] })
  }

  /// The output positions.
  public var count: Int { taps > 0 ? positions.count / taps : 0 }

  /// The (outer count, height, width) of the `[H, W]` planes of per-item `dims` (rank 1: one row).
  public static func planes(_ dims: [Int]) -> (outer: Int, height: Int, width: Int) {
    let height = dims.count >= 2 ? dims[dims.count - 2] : 1
    return (dims.dropLast(2).reduce(1, *), height, dims.last ?? 1)
  }
}

/// Separable interpolation over the last two per-item axes (``Kernel/resize(rows:columns:)``): each
/// `[H, W]` plane of input 0 (a rank-1 input is one row) resized through a table of weighted taps per
/// axis. ONNX Resize and Upsample in linear and cubic mode (antialiased or not) lower to it.
struct ResizeStep: StepKind {
  var rows: ResizeAxis
  var columns: ResizeAxis

  static let tag: UInt8 = 27
  static let name = "resize"

  func encode(_ w: inout ByteWriter) {
    for axis in [rows, columns] {
      w.int(axis.taps)
      w.ints(axis.positions)
      for v in axis.weights { w.float(v) }
    }
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    var axes: [ResizeAxis] = []
    for _ in 0..<2 {
      let taps = try r.int(limit: 1 << 20), positions = try r.positions()
      var weights: [Float] = []
      for _ in 0..<positions.count { weights.append(try r.float()) }
      axes.append(ResizeAxis(taps: taps, positions: positions, weights: weights))
    }
    return .resize(rows: axes[0], columns: axes[1])
  }

  func validate(_ check: StepCheck) throws {
    let inDims = check.step.inputs.first?.dims ?? [], outDims = check.step.output.dims
    try check.expect(
      check.step.inputs.count == 1 && !inDims.isEmpty && inDims.count == outDims.count && inDims.dropLast(2) == outDims.dropLast(2),
      "resize of \(inDims) into \(outDims) changes more than the last two axes")
    let i = ResizeAxis.planes(inDims), o = ResizeAxis.planes(outDims)
    for (axis, inSize, outSize, what) in [(rows, i.height, o.height, "rows"), (columns, i.width, o.width, "columns")] {
      try check.expect(
        axis.taps >= 1 && axis.positions.count == outSize * axis.taps && axis.weights.count == axis.positions.count
          && axis.positions.allSatisfy { (0..<inSize).contains($0) },
        "resize \(what) table does not map \(outSize) positions into \(inSize)")
    }
  }

  var summary: String { "resize \(rows.count)x\(columns.count) (\(rows.taps)x\(columns.taps) taps)" }
}
