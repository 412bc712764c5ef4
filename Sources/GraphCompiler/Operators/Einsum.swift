import GraphIR
import GraphPlan

/// An Einsum equation of one or two operands, each letter naming an axis: `"bhid,bhjd->bhij"`.
/// The forms exporters write are supported: no ellipsis and no letter twice in one operand
/// (a diagonal); without `->` the output is the letters seen once, in alphabetical order.
struct EinsumEquation: Equatable {
  var operands: [[Character]]
  var output: [Character]

  init(_ n: some NodeOperands) throws {
    guard n.node.attributes["equation"] != nil else { throw n.error("has no equation") }
    let text = try n.node.string("equation", default: "").filter { !$0.isWhitespace }
    func refuse(_ why: String) -> Error { n.error("equation '\(text)' is not supported: \(why)") }
    let sides = text.components(separatedBy: "->")
    guard sides.count <= 2 else { throw refuse("more than one '->'") }
    operands = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
    guard !text.contains(".") else { throw refuse("an ellipsis ('...')") }
    guard operands.count == n.node.inputs.count else {
      throw n.error("equation '\(text)' has \(operands.count) operands for \(n.node.inputs.count) inputs")
    }
    guard (1...2).contains(operands.count) else { throw refuse("\(operands.count) operands (one or two are)") }
    let letters = operands.joined()
    if sides.count == 2 {
      output = Array(sides[1])
    } else {
      output = Set(letters).filter { c in letters.filter { $0 == c }.count == 1 }.sorted()
    }
    guard (letters + output).allSatisfy({ $0.isLetter && $0.isASCII }) else { throw refuse("axes must be named by letters") }
    for term in operands + [output] where Set(term).count != term.count {
      throw refuse("'\(String(term))' names an axis twice (diagonals are not supported)")
    }
    guard output.allSatisfy(letters.contains) else { throw refuse("an output axis appears in no operand") }
  }

  /// The size of each letter from the operands' dims, which must agree (a size 1 broadcasts).
  func sizes(_ n: some NodeOperands, _ dims: [[Dim]]) throws -> [Character: Dim] {
    var size: [Character: Dim] = [:]
    for (term, d) in zip(operands, dims) {
      guard term.count == d.count else { throw n.error("operand '\(String(term))' names \(term.count) axes of a rank-\(d.count) input") }
      for (c, dim) in zip(term, d) {
        guard let known = size[c], known != dim else {
          size[c] = dim
          continue
        }
        if known.value == 1 { size[c] = dim } else if dim.value != 1 {
          guard known.value == nil || dim.value == nil else { throw n.error("axis '\(c)' has sizes \(known) and \(dim)") }
        }
      }
    }
    return size
  }
}

/// Einsum (opset 12 on): the contraction, on one or two inputs, that its equation names. The
/// `decompose-einsum` pass rewrites it into Transpose, Reshape, MatMul and ReduceSum nodes before
/// lowering, so it runs on their steps; evaluation (constant folding, the reference) sums directly.
enum EinsumOp: OperatorDefinition {
  static let opTypes = ["Einsum"]
  static let attributes: Set<String> = ["equation"]
  static let folds = true
  static let lowersConstantFirstInput = true
  static let notes: String? =
    "one or two operands, no ellipsis or repeated axis in an operand (e.g. bhid,bhjd->bhij, ij,jk->ik, i,j->ij, ij->ji); rewritten into Transpose, Reshape, MatMul and ReduceSum."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let equation = try EinsumEquation(n)
    let inputs = try n.node.inputs.indices.map { try n.input($0, "operand \($0)") }
    guard inputs.allSatisfy({ $0.elementType == inputs[0].elementType }) else { throw n.error("operands have different element types") }
    let size = try equation.sizes(n, inputs.map(\.shape.dims))
    return [ValueState(inputs[0].elementType, Shape(equation.output.map { size[$0]! }))]
  }

  /// Every output element sums, over the letters only the inputs name, the product of the inputs
  /// there. Slow and obvious.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let equation = try EinsumEquation(n)
    let inputs = try n.allInputs()
    let size = try equation.sizes(n, inputs.map { $0.dims.map(Dim.fixed) }).mapValues { $0.value! }
    let summed = Array(Set(equation.operands.joined()).subtracting(equation.output)).sorted()
    let values = inputs.map(\.floats), strides = inputs.map { Evaluate.strides($0.dims) }
    let outDims = equation.output.map { size[$0]! }, sumDims = summed.map { size[$0]! }
    var out = [Float](repeating: 0, count: outDims.reduce(1, *))
    for o in out.indices {
      for s in 0..<sumDims.reduce(1, *) {
        var at: [Character: Int] = [:]
        var rest = o
        for (c, d) in zip(equation.output, outDims).reversed() { (at[c], rest) = (rest % d, rest / d) }
        rest = s
        for (c, d) in zip(summed, sumDims).reversed() { (at[c], rest) = (rest % d, rest / d) }
        var product: Float = 1
        for (i, term) in equation.operands.enumerated() {
          // A size-1 axis broadcasts: it always reads position 0.
          let flat = term.indices.map { inputs[i].dims[$0] == 1 ? 0 : at[term[$0]]! * strides[i][$0] }.reduce(0, +)
          product *= values[i][flat]
        }
        out[o] += product
      }
    }
    return [Tensor(floats: out, dims: outDims).converted(to: inputs[0].dataType)]
  }

  static func lower(_ n: LoweringContext) throws {
    throw LoweringContext.Unsupported(reason: "left for the decompose-einsum pass, which did not rewrite it")
  }
}
