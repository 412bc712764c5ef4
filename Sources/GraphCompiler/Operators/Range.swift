import GraphIR
import GraphPlan

/// Range: `start, start + delta, ...` up to `limit` (exclusive), from three scalars. Folded when
/// they are known (the exporters' index arithmetic); `Range(0, N, 1)` of a symbolic size has `N`
/// elements; bounds known only at run time (from the batch) are refused by lowering.
enum RangeOp: OperatorDefinition {
  static let opTypes = ["Range"]
  static let attributes: Set<String> = []
  static let folds = true

  /// How many elements: `max(ceil((limit - start) / delta), 0)`.
  static func count(start: Double, limit: Double, delta: Double, _ n: some NodeOperands) throws -> Int {
    guard delta != 0 else { throw n.error("delta must not be 0") }
    let count = max(((limit - start) / delta).rounded(.up), 0)
    guard count <= Double(1 << 40) else { throw n.error("\(count) elements are too many") }
    return Int(count)
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let parts = try (0..<3).map { try n.input($0, ["start", "limit", "delta"][$0]) }
    for (i, p) in parts.enumerated() where p.shape.rank != 0 && p.shape.elementCount != 1 {
      throw n.error("\(["start", "limit", "delta"][i]) must be a scalar, has shape \(p.shape)")
    }
    let type = parts[0].elementType
    if type.isInteger, let values = parts.map(\.fixedElements).reduce([Int](), { acc, e in e.map { acc + $0 } ?? acc }) as [Int]?,
      values.count == 3
    {
      let count = try count(start: Double(values[0]), limit: Double(values[1]), delta: Double(values[2]), n)
      var out = ValueState(type, Shape([.fixed(count)]))
      if count <= ValueState.maxTrackedElements { out.elements = (0..<count).map { .fixed(values[0] + $0 * values[2]) } }
      return [out]
    }
    if let values = parts.map({ $0.constant?.floats.first }) as? [Float] {
      return [ValueState(type, Shape([.fixed(try count(start: Double(values[0]), limit: Double(values[1]), delta: Double(values[2]), n))]))]
    }
    // `arange(N)`: from 0 by 1 up to a size known as a symbol has that many elements.
    if type.isInteger, parts[0].fixedElements == [0], parts[2].fixedElements == [1], let limit = parts[1].elements, limit.count == 1,
      limit[0].value == nil
    {
      return [ValueState(type, Shape(limit))]
    }
    return [ValueState(type, Shape([n.freshSymbol(dim: 0)]))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let parts = try n.allInputs()
    guard parts.count == 3 else { throw n.error("needs start, limit and delta") }
    if parts.allSatisfy({ $0.dataType.isInteger }) {
      let (s, l, d) = (parts[0].int64s[0], parts[1].int64s[0], parts[2].int64s[0])
      let count = try count(start: Double(s), limit: Double(l), delta: Double(d), n)
      return [Tensor(dataType: parts[0].dataType, dims: [count], storage: .integers((0..<count).map { s + Int64($0) * d }))]
    }
    let (s, l, d) = (parts[0].floats[0], parts[1].floats[0], parts[2].floats[0])
    let count = try count(start: Double(s), limit: Double(l), delta: Double(d), n)
    return [Tensor(floats: (0..<count).map { s + Float($0) * d }, dims: [count])]
  }

  static func lower(_ n: LoweringContext) throws {
    throw LoweringContext.Unsupported(reason: "bounds known only at run time")
  }
}
