import GraphIR
import GraphPlan

/// Pad: `pads` (begins then ends, negative ones crop) and the constant value are attributes
/// before opset 11 (`paddings` in opset 1) and inputs from then on, known at compile time;
/// `axes` (opset 18) names the padded axes. Modes constant, reflect, edge and wrap (opset 19).
enum PadOp: OperatorDefinition {
  static let opTypes = ["Pad"]
  static let attributes: Set<String> = ["mode", "pads", "paddings", "value"]
  static let folds = true
  static let notes: String? = "constant pads and value; modes constant, reflect, edge, wrap; data computed at run time, any axis but the batch."

  enum Mode: String { case constant, reflect, edge, wrap }

  /// The mode and the per-axis (before, after) pads for `rank`.
  static func parameters(_ n: some NodeOperands, rank: Int) throws -> (mode: Mode, pads: [(Int, Int)]) {
    let name = try n.node.string("mode", default: "constant")
    guard let mode = Mode(rawValue: name), mode != .wrap || n.opset >= 19 else {
      throw n.error("mode '\(name)' is not one of constant, reflect, edge\(n.opset >= 19 ? ", wrap" : "") (opset \(n.opset))")
    }
    let raw: [Int], axes: [Int]
    if n.opset < 11 {
      guard let p = try n.node.ints(n.opset < 2 ? "paddings" : "pads") else { throw n.error("pads are required") }
      raw = p
      axes = Array(0..<rank)
    } else {
      guard n.node.attributes["pads"] == nil, n.node.attributes["value"] == nil else {
        throw n.error("pads and value are inputs from opset 11 on, not attributes (the model imports opset \(n.opset))")
      }
      guard let p = try n.knownInts(1, "pads") else { throw n.error("pads are required") }
      raw = p
      axes = try n.normalizedAxes(n.opset >= 18 ? try n.knownInts(3, "axes") ?? Array(0..<rank) : Array(0..<rank), rank: rank)
    }
    guard raw.count == 2 * axes.count else {
      throw n.error("pads has \(raw.count) values for \(axes.count) axes (needs \(2 * axes.count))")
    }
    var pads = Array(repeating: (0, 0), count: rank)
    for (i, axis) in axes.enumerated() { pads[axis] = (raw[i], raw[axes.count + i]) }
    return (mode, pads)
  }

  /// What constant mode pads with: asked only where it is used, so the output's shape is known
  /// even while the value is still to fold (a CastLike of a constant, in exported attention).
  static func fillValue(_ n: some NodeOperands) throws -> Float {
    // An empty name leaves the optional input out.
    if n.opset < 11 { return try n.node.float("value", default: 0) }
    return n.hasInput(2) ? try n.knownScalar(2, "constant_value") ?? 0 : 0
  }

  /// The input position output position `i` of an axis of `size` reads (-1: the constant).
  static func source(_ i: Int, size: Int, before: Int, mode: Mode) -> Int {
    let j = i - before
    if (0..<size).contains(j) { return j }
    switch mode {
    case .constant: return -1
    case .edge: return min(max(j, 0), size - 1)
    case .wrap: return ((j % size) + size) % size
    case .reflect:
      guard size > 1 else { return 0 }
      let period = 2 * (size - 1)
      let k = ((j % period) + period) % period
      return k < size ? k : period - k
    }
  }

  static func tables(_ n: some NodeOperands, _ dims: [Int]) throws -> [[Int]] {
    let (mode, pads) = try parameters(n, rank: dims.count)
    return try zip(dims, pads).enumerated().map { axis, pair in
      let (size, (before, after)) = pair
      let count = size + before + after
      guard count >= 0 else { throw n.error("pads (\(before), \(after)) crop axis \(axis) of size \(size) below nothing") }
      guard size > 0 || count == 0 || mode == .constant else {
        throw n.error("mode '\(mode.rawValue)' cannot pad axis \(axis), which is empty")
      }
      return (0..<count).map { source($0, size: size, before: before, mode: mode) }
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let (_, pads) = try parameters(n, rank: x.shape.rank)
    let dims = x.shape.dims.enumerated().map { axis, dim -> Dim in
      let (before, after) = pads[axis]
      if before == 0 && after == 0 { return dim }
      return dim.value.map { .fixed($0 + before + after) } ?? n.freshSymbol(dim: axis)
    }
    return [ValueState(x.elementType, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [IndexTables.select(x, try tables(n, x.dims), fill: try fillValue(n))]
  }

  static func lower(_ n: LoweringContext) throws {
    try IndexTables.lower(n, fill: try fillValue(n)) { try tables(n, $0) }
  }
}
