import GraphIR
import GraphPlan

/// GatherND and ScatterND with constant indices, seen as whole slices: data `[d0, ..., dr-1]` viewed as
/// `[P, R]`, where each index tuple of `k` values names one of the `P` leading positions and `R` is
/// the run of the axes after them. Both ops come down to a table of the slice each output slice
/// reads, so evaluation selects slices and lowering is a gather step along axis 0 of that view
/// (ScatterND: of the data and the updates joined by a concat step).
enum SliceTables {
  /// The flat tuples of `indices` (last axis `k`) as positions among the `dims[..<k]` slices of
  /// one batch group, negative values counting from the end; an out-of-range value is an error.
  static func positions(_ n: some NodeOperands, _ indices: Tensor, dims: ArraySlice<Int>) throws -> [Int] {
    let k = indices.dims.last ?? 0, values = indices.int64s
    let strides = Evaluate.strides(Array(dims))
    return try (0..<indices.dims.dropLast().reduce(1, *)).map { t in
      let start = t * k
      var flat = 0
      for j in 0..<k {
        let size = dims[dims.startIndex + j], v = Int(values[start + j])
        guard v >= -size && v < size else {
          throw n.error("index \(v) is out of range for axis \(dims.startIndex + j) of size \(size) (indices '\(n.node.inputs[1])')")
        }
        flat += (v < 0 ? v + size : v) * strides[j]
      }
      return flat
    }
  }

  /// The tuple length `k` of constant or inferred `indices`, checked against the data's rank.
  static func tupleLength(_ n: some NodeOperands, indices: Shape, dataRank: Int, batchDims: Int) throws -> Int {
    guard indices.rank >= 1, let k = indices.dims.last?.value else {
      throw n.error("indices '\(n.node.inputs[1])' must have rank 1 or more and a known last dim, have \(indices)")
    }
    guard k >= 1 || n.node.opType == "ScatterND", batchDims + k <= dataRank else {
      throw n.error("index tuples of \(k) values do not fit data of rank \(dataRank)\(batchDims > 0 ? " after \(batchDims) batch dims" : "")")
    }
    return k
  }

  /// Picks slices of `run` elements by slice index, keeping the storage kind.
  static func select(_ x: Tensor, dims: [Int], slices: [Int], run: Int) -> Tensor {
    Evaluate.select(x, dims: dims, slices.flatMap { s in (s * run)..<((s + 1) * run) })
  }

  /// Lowers "output slice `i` reads slice `sources[i]` of `parts` joined along axis 0", each part
  /// viewed as `[slices, run]`: run-time parts are views, constant ones are written by constant steps.
  static func lower(_ n: LoweringContext, parts: [(input: Int, slices: Int)], run: Int, sources: [Int]) throws {
    guard n.whole else { throw LoweringContext.Unsupported(reason: "indexing across the batch axis") }
    guard !sources.isEmpty, run > 0 else { throw LoweringContext.Unsupported(reason: "an empty output") }
    let views = try parts.map { try part(n, $0.input, slices: $0.slices, run: run) }
    // The gather step writes its slices in order: the output's own dims hold them as they are.
    n.emit(.gather(axis: 0, indices: sources), inputs: [joined(n, views, run: run, role: "joined")])
  }

  /// Input `i` as `[slices, run]`: a view of a run-time value, or a constant written by a step.
  static func part(_ n: LoweringContext, _ i: Int, slices: Int, run: Int) throws -> String {
    let name = n.node.inputs[i]
    if n.isComputed(name) { return n.view(of: name, dims: [slices, run]) }
    let part = "\(n.output)#part\(i)"
    n.newValue(part, dims: [slices, run])
    n.emit(.constant(n.addWeights(try n.constant(i).floats)), inputs: [], output: part)
    return part
  }

  /// `views` (each `[slices, run]`) joined along axis 0, or the one view.
  private static func joined(_ n: LoweringContext, _ views: [String], run: Int, role: String) -> String {
    guard views.count > 1 else { return views[0] }
    let name = "\(n.output)#\(role)"
    n.newValue(name, dims: [views.map { n.dims($0)[0] }.reduce(0, +), run])
    n.emit(.concat(axis: 0), inputs: views, output: name)
    return name
  }

  /// A scatter with a reduction of run-time values: data's slice `targets[u]` combined with
  /// update slice `u` by `op`, the updates in order. Round `r` takes each target's `r`-th update
  /// (no two land on one slice): it gathers those targets' slices so far and their updates,
  /// combines them in one binary step, and writes them back over the data by a gather from both.
  /// Slices no update names are the data's, bit for bit.
  static func lowerReducing(_ n: LoweringContext, op: BinaryOp, slices: Int, run: Int, targets: [Int]) throws {
    guard n.whole else { throw LoweringContext.Unsupported(reason: "indexing across the batch axis") }
    guard !targets.isEmpty, slices > 0, run > 0 else { throw LoweringContext.Unsupported(reason: "an empty output") }
    var rounds: [[Int]] = [], seen: [Int: Int] = [:]
    for (u, t) in targets.enumerated() {
      let r = seen[t, default: 0]
      seen[t] = r + 1
      if r == rounds.count { rounds.append([]) }
      rounds[r].append(u)
    }
    let updates = try part(n, 2, slices: targets.count, run: run)
    var current = try part(n, 0, slices: slices, run: run)
    for (r, round) in rounds.enumerated() {
      func value(_ role: String, _ rows: Int) -> String {
        let name = "\(n.output)#round\(r)-\(role)"
        n.newValue(name, dims: [rows, run])
        return name
      }
      let sofar = value("sofar", round.count), picked = value("updates", round.count), combined = value("combined", round.count)
      n.emit(.gather(axis: 0, indices: round.map { targets[$0] }), inputs: [current], output: sofar)
      n.emit(.gather(axis: 0, indices: round), inputs: [updates], output: picked)
      n.emit(.binary(Binary(
        op: op, leftDims: [round.count, run], rightDims: [round.count, run], constant: nil, constantIsLeft: false, activation: .none)),
        inputs: [sofar, picked], output: combined)
      var sources = Array(0..<slices)
      for (j, u) in round.enumerated() { sources[targets[u]] = slices + j }
      // The last round writes the node's output.
      let result = r == rounds.count - 1 ? nil : value("result", slices)
      n.emit(.gather(axis: 0, indices: sources), inputs: [joined(n, [current, combined], run: run, role: "round\(r)-joined")], output: result)
      current = result ?? current
    }
  }

  /// How a scatter's `reduction` combines what a slice holds with an update, as ONNX's
  /// reference does: NaN wins max and min (NumPy's `maximum`, and the runtime's binary step).
  static func combining<T: BinaryFloatingPoint>(_ reduction: String, _: T.Type) -> (T, T) -> T {
    switch reduction {
    case "add": return (+)
    case "mul": return (*)
    case "max": return { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
    case "min": return { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
    default: return { $1 }
    }
  }

  /// The same for integers, wrapping on overflow: folding a crafted file must not trap.
  static func combining(_ reduction: String) -> (Int64, Int64) -> Int64 {
    ["add": (&+), "mul": (&*), "max": { Swift.max($0, $1) }, "min": { Swift.min($0, $1) }][reduction] ?? { $1 }
  }

  /// The binary op of a scatter's `reduction` ("add", "mul", "max" or "min").
  static func reducingOp(_ reduction: String) -> BinaryOp? {
    ["add": .add, "mul": .mul, "max": .max, "min": .min][reduction]
  }
}

/// GatherND (opsets 11, 12 `batch_dims`, 13): output `indices.shape[:-1] + data.shape[b+k:]`, each
/// index tuple of `k` values picking a slice of the data within its batch group.
enum GatherNDOp: OperatorDefinition {
  static let opTypes = ["GatherND"]
  static let attributes: Set<String> = ["batch_dims"]
  static let folds = true
  static let notes: String? =
    "constant indices (negative ones count from the end), any batch_dims; data computed at run time when the value has no batch axis (a gather step)."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data"), indices = try n.input(1, "indices")
    guard indices.elementType == .int64 || indices.elementType == .int32 else {
      throw n.error("indices must be int32 or int64, are \(indices.elementType)")
    }
    let b = try n.node.int("batch_dims", default: 0)
    guard b >= 0, b < min(data.shape.rank, indices.shape.rank) else {
      throw n.error("batch_dims \(b) must be below the ranks of data \(data.shape) and indices \(indices.shape)")
    }
    let k = try SliceTables.tupleLength(n, indices: indices.shape, dataRank: data.shape.rank, batchDims: b)
    for d in 0..<b where data.shape[d].value != nil && indices.shape[d].value != nil && data.shape[d] != indices.shape[d] {
      throw n.error("batch dim \(d) of data \(data.shape) and indices \(indices.shape) differ")
    }
    let dims = Array(indices.shape.dims.dropLast()) + Array(data.shape.dims[(b + k)...])
    return [ValueState(data.elementType, Shape(dims))]
  }

  /// The output dims, the slice run and, per output slice, the slice of data viewed as `[P, run]`.
  static func tables(_ n: some NodeOperands, data: [Int], indices: Tensor) throws -> (dims: [Int], run: Int, sources: [Int]) {
    let b = try n.node.int("batch_dims", default: 0)
    let k = try SliceTables.tupleLength(n, indices: indices.shape, dataRank: data.count, batchDims: b)
    guard Array(indices.dims.prefix(b)) == Array(data.prefix(b)) else {
      throw n.error("batch dims of data \(data) and indices \(indices.dims) differ")
    }
    let groups = data.prefix(b).reduce(1, *), perGroup = data[b..<(b + k)].reduce(1, *)
    let positions = try SliceTables.positions(n, indices, dims: data[b..<(b + k)])
    let tuplesPerGroup = groups > 0 ? positions.count / groups : 0
    let sources = positions.indices.map { t in (tuplesPerGroup > 0 ? t / tuplesPerGroup : 0) * perGroup + positions[t] }
    return (Array(indices.dims.dropLast()) + Array(data[(b + k)...]), data[(b + k)...].reduce(1, *), sources)
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let data = try n.input(0), indices = try n.input(1)
    let (dims, run, sources) = try tables(n, data: data.dims, indices: indices)
    return [SliceTables.select(data, dims: dims, slices: sources, run: run)]
  }

  static func lower(_ n: LoweringContext) throws {
    guard n.whole else { throw LoweringContext.Unsupported(reason: "indexing across the batch axis") }
    guard !n.isComputed(n.node.inputs[1]) else { throw LoweringContext.Unsupported(reason: "indices computed at run time") }
    let data = n.dims(n.x)
    let (_, run, sources) = try tables(n, data: data, indices: try n.constant(1))
    try SliceTables.lower(n, parts: [(0, data.reduce(1, *) / max(run, 1))], run: run, sources: sources)
  }
}

/// ScatterND (opsets 11, 16 `reduction`, 18 max/min): a copy of the data with the slices the index
/// tuples name replaced by (or, with a reduction, combined with) the updates, in order.
enum ScatterNDOp: OperatorDefinition {
  static let opTypes = ["ScatterND"]
  static let attributes: Set<String> = ["reduction"]
  static let folds = true
  static let lowersConstantFirstInput = true
  static let notes: String? =
    "constant indices; every reduction (none, add, mul, max, min), on constants or on data and updates computed at run time when the value has no batch axis (concat, gather and binary steps)."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data"), indices = try n.input(1, "indices"), updates = try n.input(2, "updates")
    guard indices.elementType == .int64 || indices.elementType == .int32 else {
      throw n.error("indices must be int32 or int64, are \(indices.elementType)")
    }
    _ = try reduction(n)
    let k = try SliceTables.tupleLength(n, indices: indices.shape, dataRank: data.shape.rank, batchDims: 0)
    let expected = Shape(Array(indices.shape.dims.dropLast()) + Array(data.shape.dims[k...]))
    guard expected.rank == updates.shape.rank,
      zip(expected.dims, updates.shape.dims).allSatisfy({ $0.value == nil || $1.value == nil || $0 == $1 })
    else { throw n.error("updates '\(n.node.inputs[2])' \(updates.shape) should be \(expected) for data \(data.shape) and indices \(indices.shape)") }
    return [ValueState(data.elementType, data.shape)]
  }

  static func reduction(_ n: some NodeOperands) throws -> String {
    let r = try n.node.string("reduction", default: "none")
    guard ["none", "add", "mul", "max", "min"].contains(r) else { throw n.error("reduction '\(r)' is not one of none, add, mul, max, min") }
    return r
  }

  /// Per update slice, the data slice it lands on; the run of each slice.
  static func targets(_ n: some NodeOperands, data: [Int], indices: Tensor, updates: [Int]) throws -> (targets: [Int], run: Int) {
    let k = try SliceTables.tupleLength(n, indices: indices.shape, dataRank: data.count, batchDims: 0)
    let expected = Array(indices.dims.dropLast()) + Array(data[k...])
    guard updates == expected else { throw n.error("updates \(updates) should be \(expected) for data \(data) and indices \(indices.dims)") }
    return (try SliceTables.positions(n, indices, dims: data[..<k]), data[k...].reduce(1, *))
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let data = try n.input(0), indices = try n.input(1), updates = try n.input(2)
    let (targets, run) = try targets(n, data: data.dims, indices: indices, updates: updates.dims)
    let reduction = try reduction(n)
    func scatter<T>(_ out: inout [T], _ u: [T], _ combine: (T, T) -> T) {
      for (s, t) in targets.enumerated() {
        for i in 0..<run { out[t * run + i] = combine(out[t * run + i], u[s * run + i]) }
      }
    }
    var out = data
    switch (data.storage, updates.storage) {
    case (.floats(var v), _):
      scatter(&v, updates.floats, SliceTables.combining(reduction, Float.self))
      out.storage = .floats(v)
    case (.doubles(var v), _):
      scatter(&v, updates.floats.map(Double.init), SliceTables.combining(reduction, Double.self))
      out.storage = .doubles(v)
    case (.integers(var v), _):
      scatter(&v, updates.int64s, SliceTables.combining(reduction))
      out.storage = .integers(v)
    case (.unloaded, _):
      break
    }
    return [out]
  }

  /// Data and updates joined as `[P + U, run]`; each output slice reads the last update that
  /// lands on it, or its data slice.
  static func lower(_ n: LoweringContext) throws {
    guard n.whole else { throw LoweringContext.Unsupported(reason: "indexing across the batch axis") }
    guard !n.isComputed(n.node.inputs[1]) else { throw LoweringContext.Unsupported(reason: "indices computed at run time") }
    let data = try operandDims(n, 0), updates = try operandDims(n, 2)
    let (targets, run) = try targets(n, data: data, indices: try n.constant(1), updates: updates)
    let slices = run > 0 ? data.reduce(1, *) / run : 0
    if let op = SliceTables.reducingOp(try reduction(n)) {
      try SliceTables.lowerReducing(n, op: op, slices: slices, run: run, targets: targets)
      return
    }
    var sources = Array(0..<slices)
    for (s, t) in targets.enumerated() { sources[t] = slices + s }
    try SliceTables.lower(n, parts: [(0, slices), (2, targets.count)], run: run, sources: sources)
  }

  /// The whole dims of input `i`, computed at run time or a constant.
  static func operandDims(_ n: LoweringContext, _ i: Int) throws -> [Int] {
    n.isComputed(n.node.inputs[i]) ? n.dims(n.node.inputs[i]) : try n.constant(i).dims
  }
}
