import GraphIR
import GraphPlan
import GraphReference

/// Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor: two operands of one type
/// with multidirectional broadcasting, a bool result. They fold on constants of every element
/// type (int64 shape math, bool, float), and on known shape values when the answer does not
/// depend on the batch (`Equal(Shape(x), -1)`: a size is never negative), so the exporters'
/// `Shape -> Equal -> Where -> Expand` plumbing folds away. At run time a bool is float 0/1 in the
/// arena and each op is a broadcasting binary step (any comparison with NaN is false).
enum ComparisonOp: OperatorDefinition {
  static let opTypes = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"]
  static let attributes: Set<String> = []
  /// Opset-1 broadcasting of B, as Add's.
  static let legacyAttributes = ["broadcast": 7, "axis": 7]
  static let folds = true
  static let lowersConstantFirstInput = true
  static let notes: String? =
    "bool results computed at run time are float 0/1 in the arena and may feed Where, Not, And, Or, Xor or arithmetic; a graph output must not be one (refused)."

  static func op(_ n: some NodeOperands) -> BinaryOp {
    switch n.node.opType {
    case "Less": return .less
    case "Greater": return .greater
    case "LessOrEqual": return .lessOrEqual
    case "GreaterOrEqual": return .greaterOrEqual
    case "And": return .and
    case "Or": return .or
    case "Xor": return .xor
    default: return .equal
    }
  }

  /// And, Or and Xor take bools only.
  static func isLogical(_ op: BinaryOp) -> Bool { [.and, .or, .xor].contains(op) }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A"), b = try n.input(1, "B")
    guard a.elementType == b.elementType else {
      throw n.error("operand types differ: A is \(a.elementType), B is \(b.elementType)")
    }
    let op = op(n)
    if isLogical(op), a.elementType != .bool { throw n.error("operands must be bool, are \(a.elementType)") }
    var out = ValueState(.bool, try ArithmeticOp.broadcastShape(n, a.shape, b.shape))
    if out.shape.rank <= 1, let x = a.elements, let y = b.elements {
      out.elements = decided(op, x, y)
    }
    return [out]
  }

  /// Elementwise answers on known (possibly symbolic) values; nil unless every one is decided.
  static func decided(_ op: BinaryOp, _ x: [Dim], _ y: [Dim]) -> [Dim]? {
    let count = max(x.count, y.count)
    guard x.count == count || x.count == 1, y.count == count || y.count == 1 else { return nil }
    var result: [Dim] = []
    for i in 0..<count {
      let l = x[x.count == 1 ? 0 : i], r = y[y.count == 1 ? 0 : i]
      let order: Int
      switch (l.value, r.value) {
      case let (p?, q?): order = p < q ? -1 : p == q ? 0 : 1
      case _ where l == r: order = 0  // the same symbol
      // A symbolic value here is a size: never below 0.
      case let (nil, q?) where q < 0: order = 1
      case let (p?, nil) where p < 0: order = -1
      default: return nil
      }
      guard let truth = holds(op, order: order, Int64(l.value ?? 1), Int64(r.value ?? 1)) else { return nil }
      result.append(.fixed(truth ? 1 : 0))
    }
    return result
  }

  /// `a op b` given their order (-1, 0, 1) and, for the logical ops, their values.
  static func holds(_ op: BinaryOp, order: Int, _ a: Int64, _ b: Int64) -> Bool? {
    switch op {
    case .equal: return order == 0
    case .less: return order < 0
    case .greater: return order > 0
    case .lessOrEqual: return order <= 0
    case .greaterOrEqual: return order >= 0
    case .and: return a != 0 && b != 0
    case .or: return a != 0 || b != 0
    case .xor: return (a != 0) != (b != 0)
    default: return nil
    }
  }

  /// `a op b` on two comparable values (exact: integers as integers, float64 as float64).
  static func holds<T: Comparable & Numeric>(_ op: BinaryOp, _ a: T, _ b: T) -> Bool {
    switch op {
    case .and: return a != 0 && b != 0
    case .or: return a != 0 || b != 0
    case .xor: return (a != 0) != (b != 0)
    case .less: return a < b
    case .greater: return a > b
    case .lessOrEqual: return a <= b
    case .greaterOrEqual: return a >= b
    default: return a == b
    }
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let a = try n.input(0)
    var b = try n.input(1)
    b.dims += Array(repeating: 1, count: try ArithmeticOp.legacyTrailingOnes(n, rankA: a.dims.count, rankB: b.dims.count, equalShapes: a.dims == b.dims))
    return [try compare(op(n), a, b, n)]
  }

  /// `a op b` with broadcasting, as a bool tensor: integers and float64 compared exactly in
  /// their own type, float32 by the reference kernel (what the runtime's 0/1 must match).
  static func compare(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ n: some NodeOperands) throws -> Tensor {
    guard let shape = Broadcast.shape(a.dims, b.dims) else { throw n.error("shapes \(a.dims) and \(b.dims) do not broadcast") }
    let values: [Int64]
    switch (a.storage, b.storage) {
    case (.integers(let x), .integers(let y)):
      values = ElementwiseEvaluation.map(a.dims, b.dims, to: shape) { i, j in holds(op, x[i], y[j]) ? 1 : 0 }
    case (.floats, .floats):
      values = try Evaluate.floats(count: shape.reduce(1, *), a, b) { pa, pb, d in
        try Reference.binary(op, a: pa, aShape: a.dims, b: pb, bShape: b.dims, output: d)
      }.map { $0 != 0 ? 1 : 0 }
    default:
      let x = ElementwiseEvaluation.doubles(a), y = ElementwiseEvaluation.doubles(b)
      values = ElementwiseEvaluation.map(a.dims, b.dims, to: shape) { i, j in holds(op, x[i], y[j]) ? 1 : 0 }
    }
    return Tensor(dataType: .bool, dims: shape, storage: .integers(values))
  }

  static func lower(_ n: LoweringContext) throws { try ArithmeticOp.lowerBinary(n, op(n)) }
}

/// Not: a bool's negation; at run time `x == 0` on the float 0/1 that carries a bool.
enum NotOp: OperatorDefinition {
  static let opTypes = ["Not"]
  static let attributes: Set<String> = []
  static let folds = true

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    guard x.elementType == .bool else { throw n.error("X must be bool, is \(x.elementType)") }
    var out = ValueState(.bool, x.shape)
    out.elements = x.elements.flatMap { Shape($0).fixedDims }.map { $0.map { .fixed($0 == 0 ? 1 : 0) } }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [Tensor(dataType: .bool, dims: x.dims, storage: .integers(x.int64s.map { $0 == 0 ? 1 : 0 }))]
  }

  static func lower(_ n: LoweringContext) throws {
    n.emit(.binary(Binary(op: .equal, leftDims: n.dims(n.x), rightDims: [], constant: n.addWeights([0]), constantIsLeft: false,
                          activation: .none)), inputs: [n.x])
  }
}

/// Index arithmetic of evaluators over broadcast operands.
enum ElementwiseEvaluation {
  /// The values as float64 (exact for float32 and for integers up to 2^53).
  static func doubles(_ t: Tensor) -> [Double] {
    switch t.storage {
    case .doubles(let v): return v
    case .floats(let v): return v.map(Double.init)
    case .integers(let v): return v.map(Double.init)
    case .unloaded: return []
    }
  }

  /// `body(i, j)` for every element of the broadcast `shape`, `i` and `j` the flat offsets it
  /// reads in operands of dims `a` and `b`.
  static func map<T>(_ a: [Int], _ b: [Int], to shape: [Int], _ body: (Int, Int) throws -> T) rethrows -> [T] {
    let sa = Broadcast.strides(a, to: shape), sb = Broadcast.strides(b, to: shape)
    return try (0..<shape.reduce(1, *)).map { index in
      let (i, j) = Broadcast.offsets(of: index, in: shape, sa, sb)
      return try body(i, j)
    }
  }
}
