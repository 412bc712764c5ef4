import GraphIR
import GraphPlan
import GraphReference

/// LayerNormalization (opset 17): each row spanned by the axes from `axis` (default -1) on is
/// normalized, then multiplied by Scale and shifted by B (broadcast onto the row). The optional
/// Mean and InvStdDev outputs are computed by the interpreter but not at run time.
enum LayerNormalizationOp: OperatorDefinition {
  static let opTypes = ["LayerNormalization"]
  static let attributes: Set<String> = ["axis", "epsilon", "stash_type"]

  static func parameters(_ n: some NodeOperands, rank: Int) throws -> (axis: Int, epsilon: Float) {
    guard n.opset >= 17 else { throw n.error("LayerNormalization exists from opset 17; the model imports opset \(n.opset)") }
    guard try n.node.int("stash_type", default: 1) == 1 else { throw n.error("only stash_type 1 (float32 statistics) is supported") }
    return (try n.axis(try n.node.int("axis", default: -1), rank: rank), try n.node.float("epsilon", default: 1e-5))
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    let (axis, _) = try parameters(n, rank: x.shape.rank)
    let row = Shape(Array(x.shape.dims[axis...]))
    for (i, role) in [(1, "Scale"), (2, "B")] {
      guard let p = n.optionalInput(i) else { continue }
      guard let b = DimArithmetic.broadcast(row, p.shape), b.rank == row.rank else {
        throw n.error("\(role) \(p.shape) does not broadcast onto the normalized dims \(row)")
      }
    }
    _ = try n.input(1, "Scale")
    let statistics = ValueState(.float, Shape(x.shape.dims.enumerated().map { $0.offset < axis ? $0.element : .fixed(1) }))
    return [ValueState(x.elementType, x.shape), statistics, statistics]
  }

  /// `t` broadcast onto `dims` as row-major floats.
  static func expand(_ t: Tensor, to dims: [Int], _ n: some NodeOperands) throws -> [Float] {
    guard let shape = Broadcast.shape(dims, t.dims), shape == dims else {
      throw n.error("\(t.dims) does not broadcast onto the normalized dims \(dims)")
    }
    let values = t.floats, strides = Broadcast.strides(t.dims, to: dims), zeros = [Int](repeating: 0, count: dims.count)
    return (0..<dims.reduce(1, *)).map { values[Broadcast.offsets(of: $0, in: dims, strides, zeros).a] }
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let (axis, epsilon) = try parameters(n, rank: x.dims.count)
    let rowDims = Array(x.dims[axis...]), length = rowDims.reduce(1, *), rows = x.dims[..<axis].reduce(1, *)
    let scale = try expand(try n.input(1), to: rowDims, n)
    let bias = try n.knownValue(2).map { try expand($0, to: rowDims, n) }
    let out = Evaluate.floats(count: x.elementCount, x) { src, dst in
      scale.withUnsafeBufferPointer { s in
        if let bias {
          bias.withUnsafeBufferPointer { b in
            Reference.layerNormalization(src, rows: rows, length: length, epsilon: epsilon, scale: s.baseAddress!, bias: b.baseAddress!, output: dst)
          }
        } else {
          Reference.layerNormalization(src, rows: rows, length: length, epsilon: epsilon, scale: s.baseAddress!, bias: nil, output: dst)
        }
      }
    }
    // Mean and 1 / standard deviation per row: normalizing with unit scale and no bias gives them back.
    let values = x.floats
    var means: [Float] = [], inverses: [Float] = []
    for r in 0..<rows {
      let row = values[(r * length)..<((r + 1) * length)].map(Double.init)
      let mean = row.reduce(0, +) / Double(length)
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(length)
      means.append(Float(mean))
      inverses.append(Float(1 / (variance + Double(epsilon)).squareRoot()))
    }
    let statDims = x.dims.enumerated().map { $0.offset < axis ? $0.element : 1 }
    return [Tensor(floats: out, dims: x.dims), Tensor(floats: means, dims: statDims), Tensor(floats: inverses, dims: statDims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let (axis, epsilon) = try parameters(n, rank: dims.count + 1)
    guard axis >= 1 else { throw LoweringContext.Unsupported(reason: "normalizing across the batch") }
    guard n.node.outputs.dropFirst().allSatisfy(\.isEmpty) else {
      throw LoweringContext.Unsupported(reason: "the Mean and InvStdDev outputs (training)")
    }
    let rowDims = Array(dims[(axis - 1)...])
    let scale = try expand(try n.constant(1), to: rowDims, n)
    let bias = n.hasInput(2) ? try expand(try n.constant(2), to: rowDims, n) : nil
    n.emit(.layerNorm(axis: axis - 1, epsilon: epsilon, scale: n.addWeights(scale), bias: bias.map(n.addWeights)), inputs: [n.x])
  }
}
