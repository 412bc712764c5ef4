import GraphIR

/// Add, Sub, Mul, Div: multidirectional broadcasting. Small integer values are
/// computed too, so shape arithmetic (e.g. `Shape * 2`) stays known.
enum BroadcastRule: ShapeRule {
  static let opTypes = ["Add", "Sub", "Mul", "Div"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let a = try n.input(0, "A")
    let b = try n.input(1, "B")
    guard a.elementType == b.elementType else {
      throw n.error("operand types differ: A is \(a.elementType), B is \(b.elementType)")
    }
    guard let shape = DimArithmetic.broadcast(a.shape, b.shape) else {
      throw n.error("shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    var out = ValueState(a.elementType, shape)
    if shape.rank <= 1, let x = a.elements, let y = b.elements {
      out.elements = combine(x, y, n.node.opType)
    }
    return [out]
  }

  /// Elementwise integer arithmetic on known values; nil whenever a result is not a plain integer.
  static func combine(_ x: [Dim], _ y: [Dim], _ op: String) -> [Dim]? {
    let count = max(x.count, y.count)
    guard x.count == count || x.count == 1, y.count == count || y.count == 1 else { return nil }
    var result: [Dim] = []
    for i in 0..<count {
      let l = x[x.count == 1 ? 0 : i], r = y[y.count == 1 ? 0 : i]
      // Multiplying or dividing by 1 and adding 0 keep a symbol as it is.
      switch (op, l, r) {
      case ("Mul", _, .fixed(1)), ("Div", _, .fixed(1)), ("Add", _, .fixed(0)), ("Sub", _, .fixed(0)):
        result.append(l); continue
      case ("Mul", .fixed(1), _), ("Add", .fixed(0), _):
        result.append(r); continue
      default: break
      }
      guard case .fixed(let p) = l, case .fixed(let q) = r else { return nil }
      let value: (Int, Bool)
      switch op {
      case "Add": value = p.addingReportingOverflow(q)
      case "Sub": value = p.subtractingReportingOverflow(q)
      case "Mul": value = p.multipliedReportingOverflow(by: q)
      default:
        guard q != 0, !(p == Int.min && q == -1) else { return nil }
        value = (p / q, false)
      }
      guard !value.1 else { return nil }
      result.append(.fixed(value.0))
    }
    return result
  }
}

/// Sum: any number of inputs, all broadcast together.
enum SumRule: ShapeRule {
  static let opTypes = ["Sum"]

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
    return [ValueState(first.elementType, shape)]
  }
}
