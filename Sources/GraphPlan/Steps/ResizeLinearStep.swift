/// One axis of a linear resize: output position `i` is `(1 - weights[i]) * input[low[i]] +
/// weights[i] * input[high[i]]` along the axis.
public struct LinearAxis: Equatable, Sendable {
  public var low: [Int]
  public var high: [Int]
  public var weights: [Float]

  public init(low: [Int], high: [Int], weights: [Float]) { (self.low, self.high, self.weights) = (low, high, weights) }

  /// An axis of `size` left as it is.
  public init(identity size: Int) { self.init(low: Array(0..<size), high: Array(0..<size), weights: Array(repeating: 0, count: size)) }

  /// The output positions.
  public var count: Int { low.count }

  /// The (outer count, height, width) of the `[H, W]` planes of per-item `dims` (rank 1: one row).
  public static func planes(_ dims: [Int]) -> (outer: Int, height: Int, width: Int) {
    let height = dims.count >= 2 ? dims[dims.count - 2] : 1
    return (dims.dropLast(2).reduce(1, *), height, dims.last ?? 1)
  }
}

/// Linear interpolation over the last two per-item axes (``Kernel/resizeLinear(rows:columns:)``):
/// bilinear resize of each `[H, W]` plane of input 0 (a rank-1 input is one row). ONNX Resize and
/// Upsample in linear mode lower to it.
struct ResizeLinearStep: StepKind {
  var rows: LinearAxis
  var columns: LinearAxis

  static let tag: UInt8 = 27
  static let name = "resize-linear"

  func encode(_ w: inout ByteWriter) {
    for axis in [rows, columns] {
      w.ints(axis.low)
      w.ints(axis.high)
      for v in axis.weights { w.float(v) }
    }
  }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    var axes: [LinearAxis] = []
    for _ in 0..<2 {
      let low = try r.positions(), high = try r.positions()
      var weights: [Float] = []
      for _ in 0..<low.count { weights.append(try r.float()) }
      axes.append(LinearAxis(low: low, high: high, weights: weights))
    }
    return .resizeLinear(rows: axes[0], columns: axes[1])
  }

  func validate(_ check: StepCheck) throws {
    let inDims = check.step.inputs.first?.dims ?? [], outDims = check.step.output.dims
    try check.expect(
      check.step.inputs.count == 1 && !inDims.isEmpty && inDims.count == outDims.count && inDims.dropLast(2) == outDims.dropLast(2),
      "resize-linear of \(inDims) into \(outDims) changes more than the last two axes")
    let i = LinearAxis.planes(inDims), o = LinearAxis.planes(outDims)
    for (axis, inSize, outSize, what) in [(rows, i.height, o.height, "rows"), (columns, i.width, o.width, "columns")] {
      try check.expect(
        axis.count == outSize && axis.high.count == outSize && axis.weights.count == outSize
          && (axis.low + axis.high).allSatisfy { (0..<inSize).contains($0) },
        "resize-linear \(what) table does not map \(outSize) positions into \(inSize)")
    }
  }

  var summary: String { "resize-linear \(rows.count)x\(columns.count)" }
}
