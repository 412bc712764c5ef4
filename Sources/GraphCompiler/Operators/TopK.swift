import GraphIR
import GraphPlan
import GraphReference

/// TopK: the `K` largest (or smallest, `largest=0`) values along `axis` (default -1) in order,
/// and their int64 indices; ties keep the lower index first, NaN ranks above every number
/// (ONNX's reference). `K` is an attribute before opset 10 and a constant input from then on.
/// Lowered as two top-k steps over the axis moved last, one per output (the selection runs
/// twice; it is cheap next to the layers before it); the indices are exact floats in the arena
/// (``OperatorDefinition/indexOutputs``). `sorted=0` leaves the order free: it is sorted too.
enum TopKOp: OperatorDefinition {
  static let opTypes = ["TopK"]
  static let attributes: Set<String> = ["axis", "largest", "sorted", "k"]
  static let indexOutputs = [1]
  static let notes: String? = "K must be a constant; float inputs; not across the batch of a batched model; at most 2^24 values along the axis."

  static func k(_ n: some NodeOperands) throws -> Int {
    let k: Int
    if n.opset < 10 {
      guard let attribute = try n.node.int("k") else { throw n.error("attribute k is required") }
      k = attribute
    } else {
      guard let values = try n.knownInts(1, "K") else { throw n.error("input K is required") }
      guard values.count == 1 else { throw n.error("K must hold one value, holds \(values.count)") }
      k = values[0]
    }
    guard k >= 1 else { throw n.error("K must be at least 1, is \(k) (empty outputs are not supported)") }
    return k
  }

  static func largest(_ n: some NodeOperands) throws -> Bool { try n.node.int("largest", default: 1) != 0 }

  static func axis(_ n: some NodeOperands, rank: Int) throws -> Int { try n.axis(try n.node.int("axis", default: -1), rank: rank) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.elementType == .float else { throw n.error("X must be float32, is \(x.elementType)") }
    let axis = try axis(n, rank: x.shape.rank), k = try k(n)
    if let length = x.shape[axis].value, k > length {
      throw n.error("K \(k) is larger than axis \(axis), which holds \(length) values")
    }
    _ = try largest(n)
    var dims = x.shape.dims
    dims[axis] = .fixed(k)
    return [ValueState(.float, Shape(dims)), ValueState(.int64, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axis = try axis(n, rank: x.dims.count), k = try k(n), largest = try largest(n)
    guard k <= x.dims[axis] else { throw n.error("K \(k) is larger than axis \(axis), which holds \(x.dims[axis]) values") }
    var dims = x.dims
    dims[axis] = k
    let values = x.floats
    var topValues = [Float](repeating: 0, count: dims.reduce(1, *)), topIndices = [Int64](repeating: 0, count: topValues.count)
    for (lane, outLane) in zip(Evaluate.lanes(x.dims, axis: axis), Evaluate.lanes(dims, axis: axis)) {
      let top = Reference.topK(lane.map { values[$0] }, k: k, largest: largest)
      for (i, position) in outLane.enumerated() {
        topValues[position] = top.values[i]
        topIndices[position] = Int64(top.indices[i])
      }
    }
    return [Tensor(floats: topValues, dims: dims), Tensor(int64s: topIndices, dims: dims)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x)
    let axis = try axis(n, rank: dims.count + 1), k = try k(n), largest = try largest(n)
    guard axis > 0 else { throw LoweringContext.Unsupported(reason: "a TopK across the batch") }
    let length = dims[axis - 1]
    guard length <= ArgMaxOp.longestAxis else {
      throw n.error("axis \(axis) holds \(length) values; indices computed at run time are exact only up to 2^24 (\(ArgMaxOp.longestAxis))")
    }
    let (x, laneDims, perm) = n.movingAxisLast(axis - 1)
    let rows = laneDims.reduce(1, *) / length
    let lanes = n.view(of: x, dims: [rows, length])
    for (i, indices) in [(0, false), (1, true)] where n.node.outputs.indices.contains(i) && !n.node.outputs[i].isEmpty {
      let top = n.node.outputs[i] + "#top"
      n.newValue(top, dims: [rows, k])
      n.emit(.topK(k: k, largest: largest, indices: indices), inputs: [lanes], output: top)
      n.movingAxisBack(from: top, dims: Array(laneDims.dropLast()) + [k], perm: perm, into: n.node.outputs[i])
    }
  }
}
