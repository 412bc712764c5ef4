import GraphIR
import GraphPlan
import GraphReference

/// Add, Sub, Mul, Div: multidirectional broadcasting. Small integer values are
/// computed too, so shape arithmetic (e.g. `Shape * 2`) stays known.
enum ArithmeticOp: OperatorDefinition {
  static let opTypes = ["Add", "Sub", "Mul", "Div"]
  static let attributes: Set<String> = []
  static let legacyAttributes = ["broadcast": 7, "axis": 7]
  static let folds = true
  static let lowersConstantFirstInput = true

  /// How many 1s B's dims need appended to broadcast the numpy way. Before opset 7 B broadcasts
  /// only with `broadcast=1`, its dims lined up with A's from `axis` on (by default with A's
  /// last dims, as numpy does), which is numpy broadcasting of B with 1s appended; without
  /// `broadcast` the shapes must be equal.
  /// PRelu before opset 7 has no such attributes: a slope of one value is shared, and a 1-D slope
  /// holds one value per channel (axis 1), as PyTorch's exporter wrote `PReLU(num_parameters=C)`.
  static func legacyTrailingOnes(_ n: some NodeOperands, rankA: Int, rankB: Int, equalShapes: Bool) throws -> Int {
    guard n.opset < 7 else { return 0 }
    if n.node.opType == "PRelu" { return rankB == 1 && rankA > 2 ? rankA - 2 : 0 }
    guard try n.node.int("broadcast", default: 0) == 1 else {
      guard equalShapes else { throw n.error("A and B must have the same shape without broadcast=1 (the model imports opset \(n.opset))") }
      return 0
    }
    guard rankB <= rankA else { throw n.error("B has rank \(rankB), more than A's \(rankA), with broadcast=1") }
    guard let given = try n.node.int("axis") else { return 0 }
    let axis = try n.axis(given, rank: rankA)
    guard axis + rankB <= rankA else { throw n.error("B of rank \(rankB) does not fit A of rank \(rankA) from axis \(given)") }
    return rankA - axis - rankB
  }

  static func op(_ n: some NodeOperands) -> BinaryOp {
    switch n.node.opType {
    case "Sub": return .sub
    case "Mul": return .mul
    case "Div": return .div
    default: return .add
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A")
    let b = try n.input(1, "B")
    guard a.elementType == b.elementType else {
      throw n.error("operand types differ: A is \(a.elementType), B is \(b.elementType)")
    }
    var out = ValueState(a.elementType, try broadcastShape(n, a.shape, b.shape))
    if out.shape.rank <= 1, let x = a.elements, let y = b.elements {
      out.elements = combine(x, y, op(n))
    }
    return [out]
  }

  /// The broadcast of the operands' shapes, B's legacy trailing 1s appended.
  static func broadcastShape(_ n: NodeContext, _ a: Shape, _ b: Shape) throws -> Shape {
    let ones = try legacyTrailingOnes(n, rankA: a.rank, rankB: b.rank, equalShapes: a == b)
    let b = Shape(b.dims + Array(repeating: .fixed(1), count: ones))
    guard let shape = DimArithmetic.broadcast(a, b) else { throw n.error("shapes \(a) and \(b) do not broadcast") }
    return shape
  }

  /// Elementwise integer arithmetic on known values; nil whenever a result is not a plain integer.
  static func combine(_ x: [Dim], _ y: [Dim], _ op: BinaryOp) -> [Dim]? {
    let count = max(x.count, y.count)
    guard x.count == count || x.count == 1, y.count == count || y.count == 1 else { return nil }
    var result: [Dim] = []
    for i in 0..<count {
      let l = x[x.count == 1 ? 0 : i], r = y[y.count == 1 ? 0 : i]
      // Multiplying or dividing by 1 and adding 0 keep a symbol as it is.
      switch (op, l, r) {
      case (.mul, _, .fixed(1)), (.div, _, .fixed(1)), (.add, _, .fixed(0)), (.sub, _, .fixed(0)):
        result.append(l); continue
      case (.mul, .fixed(1), _), (.add, .fixed(0), _):
        result.append(r); continue
      default: break
      }
      guard case .fixed(let p) = l, case .fixed(let q) = r else {
        // A product of sizes stays a product (`N*9`, windows times the batch); a quotient only when
        // it is exact, since ONNX's integer division truncates and a symbol's remainder is unknown.
        let a = DimProduct(l), b = DimProduct(r)
        switch op {
        case .mul: guard let p = a.times(b) else { return nil }; result.append(p.dim)
        case .div: guard let q = a.dividing(by: b) else { return nil }; result.append(q.dim)
        default: return nil
        }
        continue
      }
      guard let value = integer(op, Int64(p), Int64(q)) else { return nil }
      result.append(.fixed(Int(value)))
    }
    return result
  }

  /// Integer arithmetic as ONNX defines it (division truncates); nil on overflow, division by
  /// zero or a negative power (which has no integer result).
  static func integer(_ op: BinaryOp, _ p: Int64, _ q: Int64) -> Int64? {
    let value: (Int64, Bool)
    switch op {
    case .add: value = p.addingReportingOverflow(q)
    case .sub: value = p.subtractingReportingOverflow(q)
    case .mul: value = p.multipliedReportingOverflow(by: q)
    case .div:
      guard q != 0, !(p == Int64.min && q == -1) else { return nil }
      value = (p / q, false)
    case .pow:
      guard q >= 0 else { return nil }
      // By squaring; the base is squared only while a higher bit of the exponent needs it.
      var result: Int64 = 1, base = p, e = q
      while e > 0 {
        if e & 1 == 1 {
          let r = result.multipliedReportingOverflow(by: base)
          guard !r.overflow else { return nil }
          result = r.partialValue
        }
        e >>= 1
        if e > 0 {
          let b = base.multipliedReportingOverflow(by: base)
          guard !b.overflow else { return nil }
          base = b.partialValue
        }
      }
      value = (result, false)
    case .max: value = (Swift.max(p, q), false)
    case .min: value = (Swift.min(p, q), false)
    case .prelu: value = p < 0 ? p.multipliedReportingOverflow(by: q) : (p, false)
    case .equal, .less, .greater, .lessOrEqual, .greaterOrEqual, .and, .or, .xor: value = (ComparisonOp.holds(op, p, q) ? 1 : 0, false)
    case .fmod:
      guard let r = ModOp.remainder(p, q, fmod: true) else { return nil }
      value = (r, false)
    }
    return value.1 ? nil : value.0
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    try evaluate(n, op(n))
  }

  /// `A op B` on concrete tensors, B's legacy trailing 1s appended.
  static func evaluate(_ n: EvaluationContext, _ op: BinaryOp) throws -> [Tensor] {
    let a = try n.input(0)
    var b = try n.input(1)
    b.dims += Array(repeating: 1, count: try legacyTrailingOnes(n, rankA: a.dims.count, rankB: b.dims.count, equalShapes: a.dims == b.dims))
    return [try apply(op, a, b, n)]
  }

  /// `a op b` with broadcasting: integer arithmetic for integer tensors, the reference kernel for floats.
  static func apply(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ n: some NodeOperands) throws -> Tensor {
    guard let shape = Broadcast.shape(a.dims, b.dims) else {
      throw n.error("shapes \(a.dims) and \(b.dims) do not broadcast")
    }
    if a.dataType.isInteger && b.dataType.isInteger {
      let x = a.int64s, y = b.int64s
      let sa = Broadcast.strides(a.dims, to: shape), sb = Broadcast.strides(b.dims, to: shape)
      let out = try (0..<shape.reduce(1, *)).map { index -> Int64 in
        let (i, j) = Broadcast.offsets(of: index, in: shape, sa, sb)
        guard let v = integer(op, x[i], y[j]) else {
          throw n.error("integer \(op) of \(x[i]) and \(y[j]) has no integer result (it overflows, divides by zero or is a negative power)")
        }
        return v
      }
      return Tensor(dataType: a.dataType, dims: shape, storage: .integers(out))
    }
    let out = try Evaluate.floats(count: shape.reduce(1, *), a, b) { pa, pb, d in
      try Reference.binary(op, a: pa, aShape: a.dims, b: pb, bShape: b.dims, output: d)
    }
    return Tensor(floats: out, dims: shape)
  }

  static func lower(_ n: LoweringContext) throws {
    try lowerBinary(n, op(n))
  }

  /// Input `i` as an operand: a value without the batch under a batched output is read by every item.
  private static func computedOperand(_ n: LoweringContext, _ i: Int) throws -> String {
    let name = n.node.inputs[i]
    return n.isComputed(name) ? try n.operand(name) : name
  }

  /// A constant operand's dims as an element-wise step's operand shared by every batch item:
  /// a leading 1 that lines up with the batch dropped.
  static func sharedConstantDims(_ dims: [Int], outRank: Int) throws -> [Int] {
    guard dims.count == outRank + 1 else { return dims }
    guard dims[0] == 1 else { throw LoweringContext.Unsupported(reason: "a constant that varies along the batch") }
    return Array(dims.dropFirst())
  }

  /// A binary step: both operands computed, or one of them a constant shared by every batch item.
  static func lowerBinary(_ n: LoweringContext, _ op: BinaryOp) throws {
    guard n.node.inputs.count == 2 else { throw LoweringContext.Unsupported(reason: "\(n.node.inputs.count) operands") }
    let (a, b) = (try computedOperand(n, 0), try computedOperand(n, 1))
    let outDims = n.dims(n.output)
    // Opset-6 broadcasting appends 1s to B, for the ops that had `broadcast` (Add's family, Pow; not
    // Sum, Max, Min) and for PRelu's per-channel slope. Shapes were checked by shape inference.
    var bOnes = 0
    let legacy = OperatorRegistry.byOp[n.node.opType]?.legacyAttributes["broadcast"] != nil || n.node.opType == "PRelu"
    if legacy, let rankA = n.shape(n.node.inputs[0])?.rank, let rankB = n.shape(n.node.inputs[1])?.rank {
      bOnes = try legacyTrailingOnes(n, rankA: rankA, rankB: rankB, equalShapes: true)
    }
    let bDims = n.dims(b) + Array(repeating: 1, count: bOnes)
    if n.isComputed(a), n.isComputed(b) {
      n.emit(.binary(Binary(op: op, leftDims: n.dims(a), rightDims: bDims, constant: nil, constantIsLeft: false, activation: .none)), inputs: [a, b])
      return
    }
    let constantIsLeft = !n.isComputed(a)
    let (variable, constantIndex) = constantIsLeft ? (b, 0) : (a, 1)
    guard let c = n.knownValue(constantIndex) else { throw LoweringContext.Unsupported(reason: "an operand is neither computed nor constant") }
    let cDims = try sharedConstantDims(c.dims + Array(repeating: 1, count: constantIsLeft ? 0 : bOnes), outRank: outDims.count)
    n.emit(.binary(Binary(op: op, leftDims: constantIsLeft ? bDims : n.dims(variable), rightDims: cDims, constant: n.addWeights(c.floats),
                          constantIsLeft: constantIsLeft, activation: .none)), inputs: [variable])
  }
}

/// Sum, Max, Min and Mean: any number of inputs, all broadcast together, combined pairwise
/// (Mean as the sum times `1 / count`).
enum VariadicOp: OperatorDefinition {
  static let opTypes = ["Sum", "Max", "Min", "Mean"]
  static let attributes: Set<String> = []
  static let lowersConstantFirstInput = true

  /// The pairwise operator that combines the inputs.
  static func op(_ n: some NodeOperands) -> BinaryOp {
    switch n.node.opType {
    case "Max": return .max
    case "Min": return .min
    default: return .add
    }
  }

  static func isMean(_ n: some NodeOperands) -> Bool { n.node.opType == "Mean" }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let first = try n.input(0, "data_0")
    var shape = first.shape
    for i in 1..<max(n.inputs.count, 1) {
      let v = try n.input(i, "data_\(i)")
      guard v.elementType == first.elementType else {
        throw n.error("input \(i) is \(v.elementType), input 0 is \(first.elementType)")
      }
      guard let next = DimArithmetic.broadcast(shape, v.shape) else {
        throw n.error("shapes \(shape) and \(v.shape) (input \(i)) do not broadcast")
      }
      shape = next
    }
    var out = ValueState(first.elementType, shape)
    // Known shape values stay known (CenterCropPad's `Max(shape, target)`).
    if shape.rank <= 1, !isMean(n), var known = first.elements {
      for i in 1..<max(n.inputs.count, 1) {
        guard let next = try n.input(i, "data_\(i)").elements, let combined = ArithmeticOp.combine(known, next, op(n)) else {
          return [out]
        }
        known = combined
      }
      out.elements = known
    }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let parts = try n.allInputs()
    guard var acc = parts.first else { throw n.error("\(n.node.opType) has no inputs") }
    for part in parts.dropFirst() { acc = try ArithmeticOp.apply(op(n), acc, part, n) }
    if isMean(n) { acc = try ArithmeticOp.apply(.mul, acc, Tensor(floats: [1 / Float(parts.count)], dims: []), n) }
    return [acc]
  }

  /// Two operands: one binary step (a constant may be either). One: a copy. More, all computed:
  /// a chain of binary steps through temporaries, the last into the output. Mean then scales
  /// the sum by `1 / count` into the output.
  static func lower(_ n: LoweringContext) throws {
    let parts = n.node.inputs, op = op(n)
    if !isMean(n) && parts.count == 2 { return try ArithmeticOp.lowerBinary(n, op) }
    guard parts.allSatisfy(n.isComputed) else {
      throw LoweringContext.Unsupported(reason: "\(parts.count) operands, not all computed at run time")
    }
    guard parts.count > 1 else { return n.emit(.copy, inputs: parts) }
    var sum = parts[0], dims = n.dims(sum)
    for (i, part) in parts.enumerated().dropFirst() {
      let last = i == parts.count - 1 && !isMean(n)
      guard let next = last ? n.dims(n.output) : Broadcast.shape(dims, n.dims(part)) else {
        throw LoweringContext.Unsupported(reason: "operands \(dims) and \(n.dims(part)) do not broadcast")
      }
      let target = last ? n.output : "\(n.output)#\(n.node.opType.lowercased())\(i)"
      if !last { n.newValue(target, dims: next) }
      n.emit(.binary(Binary(op: op, leftDims: dims, rightDims: n.dims(part), constant: nil, constantIsLeft: false, activation: .none)),
             inputs: [sum, part], output: target)
      (sum, dims) = (target, next)
    }
    if isMean(n) {
      n.emit(.binary(Binary(op: .mul, leftDims: dims, rightDims: [], constant: n.addWeights([1 / Float(parts.count)]),
                            constantIsLeft: false, activation: .none)), inputs: [sum])
    }
  }
}

/// PRelu: `x < 0 ? slope * x : x`, the slope broadcast to x (usually one per channel, a
/// constant). A constant slope with one value is LeakyRelu, an activation that fuses.
enum PReluOp: OperatorDefinition {
  static let opTypes = ["PRelu"]
  static let attributes: Set<String> = []
  static let folds = true

  /// The one slope of a constant slope whose values are all equal.
  static func uniformSlope(_ n: some NodeOperands) -> Float? {
    guard let slope = n.knownValue(1), slope.isLoaded, !slope.dataType.isInteger, let first = slope.floats.first,
          slope.floats.allSatisfy({ $0 == first }) else { return nil }
    return first
  }

  // The slope broadcasts to X, so X's shape is the output's.
  static func fusableActivation(_ n: some NodeOperands) throws -> Activation? { uniformSlope(n).map { .leakyRelu(alpha: $0) } }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    let slope = try n.input(1, "slope")
    guard slope.elementType == x.elementType else { throw n.error("slope is \(slope.elementType), X is \(x.elementType)") }
    // Unidirectional: the slope broadcasts to X, never the other way.
    let ones = try ArithmeticOp.legacyTrailingOnes(n, rankA: x.shape.rank, rankB: slope.shape.rank, equalShapes: true)
    let aligned = Shape(slope.shape.dims + Array(repeating: .fixed(1), count: ones))
    guard DimArithmetic.broadcast(x.shape, aligned) == x.shape else {
      throw n.error("slope of shape \(slope.shape) does not broadcast to X's \(x.shape)")
    }
    return [ValueState(x.elementType, x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] { try ArithmeticOp.evaluate(n, .prelu) }

  static func lower(_ n: LoweringContext) throws {
    if n.isComputed(n.x), let alpha = uniformSlope(n) {
      return n.emit(.activation(.leakyRelu(alpha: alpha)), inputs: [n.x])
    }
    try ArithmeticOp.lowerBinary(n, .prelu)
  }
}
