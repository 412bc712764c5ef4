import GraphIR

/// Ops whose axes moved from an attribute to an input at some opset.
extension NodeContext {
  /// `axes` from the attribute before `inputFrom`, from input `index` from then on; nil when absent.
  func axesList(inputFrom: Int, index: Int) throws -> [Int]? {
    if opset < inputFrom { return try node.ints("axes") }
    guard optionalInput(index) != nil else { return nil }
    return try constantInts(index, "axes")
  }

  /// Normalized, duplicate-free axes.
  func normalizedAxes(_ axes: [Int], rank: Int) throws -> [Int] {
    let normalized = try axes.map { try axis($0, rank: rank, "axis") }
    guard Set(normalized).count == normalized.count else { throw error("axes \(axes) repeat an axis") }
    return normalized
  }
}

/// Unsqueeze: inserts size-1 dims at `axes` (counted in the output's rank).
enum UnsqueezeRule: ShapeRule {
  static let opTypes = ["Unsqueeze"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    guard let axes = try n.axesList(inputFrom: 13, index: 1) else { throw n.error("axes are required") }
    let rank = x.shape.rank + axes.count
    let inserted = Set(try n.normalizedAxes(axes, rank: rank))
    var source = x.shape.dims.makeIterator()
    let dims = (0..<rank).map { inserted.contains($0) ? Dim.fixed(1) : source.next()! }
    var out = ValueState(x.elementType, Shape(dims))
    if rank <= 1 { out.elements = x.elements }
    return [out]
  }
}

/// Squeeze: removes the size-1 dims at `axes`, or every size-1 dim when axes are absent.
enum SqueezeRule: ShapeRule {
  static let opTypes = ["Squeeze"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let removed: Set<Int>
    if let axes = try n.axesList(inputFrom: 13, index: 1) {
      removed = Set(try n.normalizedAxes(axes, rank: x.shape.rank))
      for a in removed.sorted() where x.shape[a] != .fixed(1) {
        // A symbolic dim is taken to be 1 here, as the graph says it must be.
        if case .fixed = x.shape[a] {
          throw n.error("cannot squeeze axis \(a) of \(x.shape): its size is not 1")
        }
      }
    } else {
      removed = Set(x.shape.dims.indices.filter { x.shape[$0] == .fixed(1) })
    }
    let dims = x.shape.dims.indices.filter { !removed.contains($0) }.map { x.shape[$0] }
    var out = ValueState(x.elementType, Shape(dims))
    if dims.count <= 1 { out.elements = x.elements }
    return [out]
  }
}

/// ReduceMean: reduced axes become 1 (keepdims) or disappear.
enum ReduceMeanRule: ShapeRule {
  static let opTypes = ["ReduceMean"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    let keep = try n.node.int("keepdims", default: 1) != 0
    let axes = try n.axesList(inputFrom: 18, index: 1) ?? []
    let reduced: Set<Int>
    if axes.isEmpty {
      let noop = n.opset >= 18 ? try n.node.int("noop_with_empty_axes", default: 0) != 0 : false
      if noop { return [ValueState(x.elementType, x.shape)] }
      reduced = Set(x.shape.dims.indices)
    } else {
      reduced = Set(try n.normalizedAxes(axes, rank: x.shape.rank))
    }
    var dims: [Dim] = []
    for (i, d) in x.shape.dims.enumerated() {
      if !reduced.contains(i) { dims.append(d) } else if keep { dims.append(.fixed(1)) }
    }
    return [ValueState(x.elementType, Shape(dims))]
  }
}
