import GraphIR
import GraphPlan

/// GatherElements and ScatterElements with constant indices: `indices` has the rank of the data,
/// and each of its elements names, along `axis`, one data element at its own other coordinates.
/// Both come down to a table of flat positions, so lowering is ``SliceTables`` with runs of one
/// element: a gather step over the data (ScatterElements: over data and updates joined).
enum ElementTables {
  static func axis(_ n: some NodeOperands, rank: Int) throws -> Int { try n.axis(try n.node.int("axis", default: 0), rank: rank) }

  /// For each element of `indices` (C order), the flat position in data of `dims` it names.
  static func positions(_ n: some NodeOperands, _ indices: Tensor, dims: [Int], axis: Int) throws -> [Int] {
    guard indices.dims.count == dims.count else {
      throw n.error("indices '\(n.node.inputs[1])' have rank \(indices.dims.count), the data \(dims.count)")
    }
    let size = dims[axis], dataStrides = Evaluate.strides(dims), indexStrides = Evaluate.strides(indices.dims)
    return try indices.int64s.enumerated().map { flat, value in
      guard value >= -Int64(size), value < Int64(size) else {
        throw n.error("index \(value) is out of range for axis \(axis) of size \(size) (indices '\(n.node.inputs[1])')")
      }
      var position = 0
      for d in 0..<dims.count {
        let coordinate = d == axis ? (value < 0 ? Int(value) + size : Int(value)) : flat / indexStrides[d] % indices.dims[d]
        guard coordinate < dims[d] else { throw n.error("indices \(indices.dims) reach past the data \(dims) along axis \(d)") }
        position += coordinate * dataStrides[d]
      }
      return position
    }
  }

  static func checkIndices(_ n: NodeContext, _ indices: ValueState, dataRank: Int) throws {
    guard indices.elementType == .int64 || indices.elementType == .int32 else {
      throw n.error("indices must be int32 or int64, are \(indices.elementType)")
    }
    guard indices.shape.rank == dataRank else { throw n.error("indices have rank \(indices.shape.rank), the data \(dataRank)") }
    _ = try axis(n, rank: dataRank)
  }
}

/// GatherElements (opsets 11, 13): output of the indices' shape, `out[c] = data[c with c[axis] = indices[c]]`.
enum GatherElementsOp: OperatorDefinition {
  static let opTypes = ["GatherElements"]
  static let attributes: Set<String> = ["axis"]
  static let folds = true
  static let notes: String? = "constant indices; data computed at run time when the value has no batch axis (a gather step)."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data"), indices = try n.input(1, "indices")
    try ElementTables.checkIndices(n, indices, dataRank: data.shape.rank)
    return [ValueState(data.elementType, indices.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let data = try n.input(0), indices = try n.input(1)
    let axis = try ElementTables.axis(n, rank: data.dims.count)
    return [Evaluate.select(data, dims: indices.dims, try ElementTables.positions(n, indices, dims: data.dims, axis: axis))]
  }

  static func lower(_ n: LoweringContext) throws {
    guard n.whole else { throw LoweringContext.Unsupported(reason: "indexing across the batch axis") }
    guard !n.isComputed(n.node.inputs[1]) else { throw LoweringContext.Unsupported(reason: "indices computed at run time") }
    let data = n.dims(n.x)
    let sources = try ElementTables.positions(n, try n.constant(1), dims: data, axis: try ElementTables.axis(n, rank: data.count))
    try SliceTables.lower(n, parts: [(0, data.reduce(1, *))], run: 1, sources: sources)
  }
}

/// ScatterElements (opsets 11, 16 `reduction` add/mul, 18 max/min): a copy of the data with each
/// element the indices name replaced by (or combined with) its update, in order.
enum ScatterElementsOp: OperatorDefinition {
  static let opTypes = ["ScatterElements"]
  static let attributes: Set<String> = ["axis", "reduction"]
  static let folds = true
  static let lowersConstantFirstInput = true
  static let notes: String? =
    "constant indices; every reduction (none, add, mul, max, min), on constants or on data and updates computed at run time when the value has no batch axis (concat, gather and binary steps)."

  static func reduction(_ n: some NodeOperands) throws -> String {
    let r = try n.node.string("reduction", default: "none")
    guard ["none", "add", "mul", "max", "min"].contains(r) else { throw n.error("reduction '\(r)' is not none, add, mul, max or min") }
    return r
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data"), indices = try n.input(1, "indices"), updates = try n.input(2, "updates")
    try ElementTables.checkIndices(n, indices, dataRank: data.shape.rank)
    guard updates.shape.rank == indices.shape.rank,
      zip(updates.shape.dims, indices.shape.dims).allSatisfy({ $0.value == nil || $1.value == nil || $0 == $1 })
    else { throw n.error("updates '\(n.node.inputs[2])' \(updates.shape) should have the indices' shape \(indices.shape)") }
    _ = try reduction(n)
    return [ValueState(data.elementType, data.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let data = try n.input(0), indices = try n.input(1), updates = try n.input(2)
    let targets = try ElementTables.positions(n, indices, dims: data.dims, axis: try ElementTables.axis(n, rank: data.dims.count))
    func scatter<T>(_ values: [T], _ changes: [T], _ combine: (T, T) -> T) -> [T] {
      var out = values
      for (t, u) in zip(targets, changes) { out[t] = combine(out[t], u) }
      return out
    }
    let r = try reduction(n)
    if data.dataType.isInteger {
      let values = scatter(data.int64s, updates.int64s, SliceTables.combining(r))
      return [Tensor(dataType: data.dataType, dims: data.dims, storage: .integers(values))]
    }
    let values = scatter(data.floats, updates.floats, SliceTables.combining(r, Float.self))
    return [Tensor(dataType: data.dataType, dims: data.dims, storage: .floats(values))]
  }

  static func lower(_ n: LoweringContext) throws {
    guard n.whole else { throw LoweringContext.Unsupported(reason: "indexing across the batch axis") }
    guard !n.isComputed(n.node.inputs[1]) else { throw LoweringContext.Unsupported(reason: "indices computed at run time") }
    let data = try ScatterNDOp.operandDims(n, 0), indices = try n.constant(1)
    let targets = try ElementTables.positions(n, indices, dims: data, axis: try ElementTables.axis(n, rank: data.count))
    let count = data.reduce(1, *)
    if let op = SliceTables.reducingOp(try reduction(n)) {
      try SliceTables.lowerReducing(n, op: op, slices: count, run: 1, targets: targets)
      return
    }
    var sources = Array(0..<count)
    for (u, t) in targets.enumerated() { sources[t] = count + u }
    try SliceTables.lower(n, parts: [(0, count), (2, targets.count)], run: 1, sources: sources)
  }
}
