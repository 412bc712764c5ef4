import GraphIR
import GraphPlan

/// Flatten, Reshape, Squeeze and Unsqueeze change only the shape: at run time
/// their output is a view of their input's buffer (the `views` pass makes them
/// `graphc.View` nodes so their shape inputs die).
protocol ViewOperator: OperatorDefinition {}

extension ViewOperator {
  static var folds: Bool { true }
  static var movesIndices: Bool { true }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    [Evaluate.reshaped(try n.input(0), try outputDims(n, try n.input(0).dims))]
  }

  static func lower(_ n: LoweringContext) throws { n.alias(n.output, .view(of: n.x)) }

  /// The output dims for concrete input dims; shape inference has the symbolic version.
  static func outputDims(_ n: EvaluationContext, _ dims: [Int]) throws -> [Int] {
    let state = try infer(NodeContext(
      node: n.node, opset: n.opset,
      inputs: n.inputs.enumerated().map { i, t in
        guard let t else { return nil }
        // The data input only contributes its shape; the others (shape, axes) their values.
        return i == 0 ? ValueState(t.dataType, t.shape) : ValueState(constant: t)
      }))
    guard let dims = state[0].shape.fixedDims else { throw n.error("output shape \(state[0].shape) is not concrete") }
    return dims
  }
}

/// `graphc.View`: what the `views` pass turns the reshapes into; lowered only.
enum ViewOp: ViewOperator {
  static let opTypes: [String] = []
  static let attributes: Set<String> = ["from"]
  static func infer(_ n: NodeContext) throws -> [ValueState] { throw n.error("views are made after shape inference") }
}

/// Flatten: `[d0..dk]` to `[d0*..*d(axis-1), d(axis)*..*dk]`; axis may be negative.
enum FlattenOp: ViewOperator {
  static let opTypes = ["Flatten"]
  static let attributes: Set<String> = ["axis"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    let rank = x.shape.rank
    let raw = try n.node.int("axis", default: 1)
    guard raw >= -rank, raw <= rank else {
      throw n.error("axis \(raw) is out of range for input \(x.shape) (allowed \(-rank)...\(rank))")
    }
    let axis = raw < 0 ? raw + rank : raw
    guard let outer = DimProduct.of(x.shape.dims[..<axis]), let inner = DimProduct.of(x.shape.dims[axis...]) else {
      throw n.error("element count of \(x.shape) overflows")
    }
    return [ValueState(x.elementType, Shape([outer.dim, inner.dim]))]
  }
}

/// Reshape: the target comes from a constant or a symbolic value; 0 copies the
/// input dim (unless allowzero, from opset 14), one -1 takes whatever the element count leaves.
/// Before opset 5 the target is the `shape` attribute.
enum ReshapeOp: ViewOperator {
  static let opTypes = ["Reshape"]
  static let attributes: Set<String> = ["allowzero"]
  static let legacyAttributes = ["shape": 5]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data")
    let target = try self.target(n)
    let allowZero = n.opset >= 14 ? try n.node.int("allowzero", default: 0) != 0 : false
    var dims: [Dim] = []
    var inferIndex: Int? = nil
    for (i, d) in target.enumerated() {
      switch d {
      case .fixed(-1):
        guard inferIndex == nil else { throw n.error("shape \(describe(target)) has more than one -1") }
        inferIndex = i
        dims.append(.fixed(1))
      case .fixed(0) where !allowZero:
        guard i < data.shape.rank else {
          throw n.error("shape \(describe(target)) copies dim \(i) (0) but input \(data.shape) has rank \(data.shape.rank)")
        }
        dims.append(data.shape[i])
      case .fixed(let v) where v < 0:
        throw n.error("shape \(describe(target)) has negative dim \(v)")
      default:
        dims.append(d)
      }
    }
    if allowZero, inferIndex != nil, target.contains(.fixed(0)) {
      throw n.error("shape \(describe(target)) has both 0 and -1 with allowzero=1")
    }
    guard let total = DimProduct.of(data.shape.dims), let known = DimProduct.of(dims) else {
      throw n.error("element count overflows")
    }
    if let i = inferIndex {
      guard let rest = total.dividing(by: known) else {
        throw n.error("cannot reshape \(data.shape) to \(describe(target)): \(total.dim) elements are not a multiple of \(known.dim)")
      }
      dims[i] = rest.dim
    } else if total.symbols == known.symbols, total.coefficient != known.coefficient {
      throw n.error("cannot reshape \(data.shape) (\(total.dim) elements) to \(Shape(dims)) (\(known.dim) elements)")
    }
    var out = ValueState(data.elementType, Shape(dims))
    if dims.count <= 1 { out.elements = data.elements }
    return [out]
  }

  /// The target shape: the attribute before opset 5, the input from then on.
  static func target(_ n: NodeContext) throws -> [Dim] {
    if n.opset < 5 {
      guard let dims = try n.node.ints("shape") else { throw n.error("attribute shape is required before opset 5") }
      return dims.map(Dim.fixed)
    }
    let shapeInput = try n.input(1, "shape", rank: 1)
    guard let target = shapeInput.elements else {
      throw n.error("shape input '\(n.node.inputs[1])' is not known at compile time (neither constant nor computed from shapes)")
    }
    return target
  }

  static func describe(_ target: [Dim]) -> String {
    "[" + target.map(\.description).joined(separator: ", ") + "]"
  }
}

/// Unsqueeze: inserts size-1 dims at `axes` (counted in the output's rank; an input from opset 13).
enum UnsqueezeOp: ViewOperator {
  static let opTypes = ["Unsqueeze"]
  static let attributes: Set<String> = ["axes"]

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

/// Squeeze: removes the size-1 dims at `axes` (an input from opset 13), or every size-1 dim when absent.
enum SqueezeOp: ViewOperator {
  static let opTypes = ["Squeeze"]
  static let attributes: Set<String> = ["axes"]

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
