import GraphIR
import GraphPlan

/// RMSNormalization (opset 23): each row spanned by the axes from `axis` (default -1) on is
/// divided by its root mean square, `x / sqrt(mean(x²) + epsilon)`, then multiplied by Scale
/// (broadcast onto the row). No kernel of its own: it lowers to the steps that LayerNormalization's
/// statistics use (a product, a row mean, an addition raised to -1/2) and two broadcasting products.
enum RMSNormalizationOp: OperatorDefinition {
  static let opTypes = ["RMSNormalization"]
  static let attributes: Set<String> = ["axis", "epsilon", "stash_type"]

  static func parameters(_ n: some NodeOperands, rank: Int) throws -> (axis: Int, epsilon: Float) {
    try LayerNormalizationOp.parameters(n, rank: rank, since: 23)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    let (axis, _) = try parameters(n, rank: x.shape.rank)
    let row = Shape(Array(x.shape.dims[axis...]))
    let scale = try n.input(1, "scale")
    guard let b = DimArithmetic.broadcast(row, scale.shape), b.rank == row.rank else {
      throw n.error("scale \(scale.shape) does not broadcast onto the normalized dims \(row)")
    }
    return [ValueState(x.elementType, x.shape)]
  }

  /// As ONNX's reference computes it, in float32: `x / sqrt(mean(x * x) + epsilon) * scale`.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let (axis, epsilon) = try parameters(n, rank: x.dims.count)
    let rowDims = Array(x.dims[axis...]), length = rowDims.reduce(1, *), rows = x.dims[..<axis].reduce(1, *)
    let scale = try LayerNormalizationOp.expand(try n.input(1), to: rowDims, n), values = x.floats
    var out = [Float](repeating: 0, count: values.count)
    for r in 0..<rows {
      var sum: Float = 0
      for i in 0..<length { sum += values[r * length + i] * values[r * length + i] }
      let rms = (sum / Float(length) + epsilon).squareRoot()
      for i in 0..<length { out[r * length + i] = values[r * length + i] / rms * scale[i] }
    }
    return [Tensor(floats: out, dims: x.dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let (axis, epsilon) = try parameters(n, rank: dims.count + 1)
    guard axis >= 1 else { throw LoweringContext.Unsupported(reason: "normalizing across the batch") }
    let rowDims = Array(dims[(axis - 1)...])
    let rows = dims[..<(axis - 1)].reduce(1, *), length = rowDims.reduce(1, *)
    let scale = try LayerNormalizationOp.expand(try n.constant(1), to: rowDims, n)
    func temporary(_ role: String, _ dims: [Int]) -> String {
      let name = "\(n.output)#\(role)"
      n.newValue(name, dims: dims)
      return name
    }
    func binary(_ op: BinaryOp, _ left: [Int], _ right: [Int], constant: [Float]? = nil, _ activation: Activation = .none) -> Kernel {
      .binary(Binary(
        op: op, leftDims: left, rightDims: right, constant: constant.map(n.addWeights), constantIsLeft: false, activation: activation))
    }
    let x = n.view(of: n.x, dims: [rows, length])
    let squares = temporary("squares", [rows, length])
    n.emit(binary(.mul, [rows, length], [rows, length]), inputs: [x, x], output: squares)
    let meanSquare = temporary("mean_square", [rows, 1])
    n.emit(.globalPool(.average), inputs: [squares], output: meanSquare)
    let inverse = temporary("inverse_rms", [rows, 1])
    n.emit(binary(.add, [rows, 1], [1], constant: [epsilon], .power(-0.5)), inputs: [meanSquare], output: inverse)
    let normalized = temporary("normalized", [rows, length])
    n.emit(binary(.mul, [rows, length], [rows, 1]), inputs: [x, inverse], output: normalized)
    n.emit(binary(.mul, dims, rowDims, constant: scale), inputs: [normalized])
  }
}
