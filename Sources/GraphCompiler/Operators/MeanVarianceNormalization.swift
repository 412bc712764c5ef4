import GraphIR
import GraphPlan

/// MeanVarianceNormalization: `(x - mean) / (sqrt(variance) + 1e-9)` over `axes` (default
/// [0, 2, 3]: each channel across the batch and the image), as ONNX's function body writes it.
/// Lowered as a layer norm over the axes moved last (unit scale, epsilon 1e-18 under the root,
/// whose root is the function's 1e-9, so a constant lane gives 0 either way), then moved back.
/// The default axes hold the batch: only a model without one (fixed shapes) runs them.
enum MeanVarianceNormalizationOp: OperatorDefinition {
  static let opTypes = ["MeanVarianceNormalization"]
  static let attributes: Set<String> = ["axes"]
  static let notes: String? = "not across the batch of a batched model (the default axes [0, 2, 3] include it: fixed shapes only)."

  static func axes(_ n: some NodeOperands, rank: Int) throws -> [Int] {
    try n.normalizedAxes(try n.node.ints("axes") ?? [0, 2, 3], rank: rank)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    _ = try axes(n, rank: x.shape.rank)
    return [ValueState(x.elementType, x.shape)]
  }

  /// In Double, mean and `E[x²] - mean²` per group of the kept axes' coordinates.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axes = Set(try axes(n, rank: x.dims.count)), values = x.floats, strides = Evaluate.strides(x.dims)
    var groups: [Int: [Int]] = [:]
    for flat in values.indices {
      let key = (0..<x.dims.count).filter { !axes.contains($0) }.reduce(0) { $0 + (flat / strides[$1] % x.dims[$1]) * strides[$1] }
      groups[key, default: []].append(flat)
    }
    var out = [Float](repeating: 0, count: values.count)
    for members in groups.values {
      let count = Double(members.count)
      let mean = members.reduce(0.0) { $0 + Double(values[$1]) } / count
      let variance = members.reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) } / count - mean * mean
      for i in members { out[i] = Float((Double(values[i]) - mean) / (variance.squareRoot() + 1e-9)) }
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let axes = try axes(n, rank: dims.count + 1)
    guard !axes.contains(0) else { throw LoweringContext.Unsupported(reason: "normalizing across the batch") }
    let reduced = axes.map { $0 - 1 }.sorted(), kept = (0..<dims.count).filter { !reduced.contains($0) }
    let perm = kept + reduced, moved = perm.map { dims[$0] }
    var x = n.x
    if perm != Array(0..<dims.count) {
      x = n.output + "#axes-last"
      n.newValue(x, dims: moved)
      n.emit(.transpose(perm: perm), inputs: [n.x], output: x)
    }
    let normalized = n.output + "#normalized"
    n.newValue(normalized, dims: moved)
    let row = reduced.map { dims[$0] }.reduce(1, *)
    n.emit(.layerNorm(axis: kept.count, epsilon: 1e-18, scale: n.addWeights([Float](repeating: 1, count: row)), bias: nil),
           inputs: [x], output: normalized)
    n.movingAxisBack(from: normalized, dims: moved, perm: x == n.x ? nil : perm, into: n.output)
  }
}
