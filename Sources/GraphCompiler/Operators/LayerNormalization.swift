import GraphIR
import GraphPlan
import GraphReference

/// LayerNormalization (opset 17): each row spanned by the axes from `axis` (default -1) on is
/// normalized, then multiplied by Scale and shifted by B (broadcast onto the row). The optional
/// Mean and InvStdDev outputs, when read, are computed by separate steps.
enum LayerNormalizationOp: OperatorDefinition {
  static let opTypes = ["LayerNormalization"]
  static let attributes: Set<String> = ["axis", "epsilon", "stash_type"]

  /// Axis and epsilon, shared with RMSNormalization (`since` its first opset).
  static func parameters(_ n: some NodeOperands, rank: Int, since: Int = 17) throws -> (axis: Int, epsilon: Float) {
    guard n.opset >= since else { throw n.error("\(n.node.opType) exists from opset \(since); the model imports opset \(n.opset)") }
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
    let rowDims = Array(dims[(axis - 1)...])
    let scale = try expand(try n.constant(1), to: rowDims, n)
    let bias = n.hasInput(2) ? try expand(try n.constant(2), to: rowDims, n) : nil
    n.emit(.layerNorm(axis: axis - 1, epsilon: epsilon, scale: n.addWeights(scale), bias: bias.map(n.addWeights)), inputs: [n.x])
    lowerStatistics(n, rows: dims[..<(axis - 1)].reduce(1, *), length: rowDims.reduce(1, *), epsilon: epsilon)
  }

  /// The Mean and InvStdDev outputs, those that are read: each row's mean (an average pool over
  /// the input viewed as [rows, length]), then `(mean((x - mean)²) + epsilon)^-0.5` from a
  /// subtraction squared in its epilogue, a second mean and an addition raised to -1/2 in its.
  static func lowerStatistics(_ n: LoweringContext, rows: Int, length: Int, epsilon: Float) {
    let used = n.node.outputs.indices.map { i in
      i > 0 && !n.node.outputs[i].isEmpty
        && (n.graph.outputs.contains { $0.name == n.node.outputs[i] } || n.graph.nodes.contains { $0.inputs.contains(n.node.outputs[i]) })
    }
    guard used.contains(true) else { return }
    func temporary(_ role: String, _ dims: [Int]) -> String {
      let name = "\(n.output)#\(role)"
      n.newValue(name, dims: dims)
      return name
    }
    let x = n.view(of: n.x, dims: [rows, length])
    let mean = temporary("mean", [rows, 1])
    n.emit(.globalPool(.average), inputs: [x], output: mean)
    if used[1] { n.alias(n.node.outputs[1], .view(of: mean)) }
    guard used.count > 2, used[2] else { return }
    let squares = temporary("squares", [rows, length])
    n.emit(.binary(Binary(op: .sub, leftDims: [rows, length], rightDims: [rows, 1], constant: nil, constantIsLeft: false,
                          activation: .power(2))), inputs: [x, mean], output: squares)
    let variance = temporary("variance", [rows, 1])
    n.emit(.globalPool(.average), inputs: [squares], output: variance)
    let inverse = temporary("invstddev", [rows, 1])
    n.emit(.binary(Binary(op: .add, leftDims: [rows, 1], rightDims: [1], constant: n.addWeights([epsilon]), constantIsLeft: false,
                          activation: .power(-0.5))), inputs: [variance], output: inverse)
    n.alias(n.node.outputs[2], .view(of: inverse))
  }
}
