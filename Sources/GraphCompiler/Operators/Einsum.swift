import GraphIR
import GraphPlan

/// An Einsum equation of one or two operands, each letter naming an axis: `"bhid,bhjd->bhij"`.
/// A letter twice in one operand takes the diagonal (`"...ii->...i"`, `"ii"` a trace); an
/// ellipsis (`"...ij,...jk->...ik"`) stands for the leading axes an operand has beyond its
/// letters, aligned from the right across operands as NumPy broadcasts them, and is rewritten
/// into unused letters. Without `->` the output is the ellipsis' axes, then the letters seen
/// once, in alphabetical order.
struct EinsumEquation: Equatable {
  var operands: [[Character]]
  var output: [Character]

  /// - Parameter ranks: each input's rank (what an ellipsis stands for depends on it).
  init(_ n: some NodeOperands, ranks: [Int]) throws {
    guard n.node.attributes["equation"] != nil else { throw n.error("has no equation") }
    let text = try n.node.string("equation", default: "").filter { !$0.isWhitespace }
    func refuse(_ why: String) -> Error { n.error("equation '\(text)' is not supported: \(why)") }
    let sides = text.components(separatedBy: "->")
    guard sides.count <= 2 else { throw refuse("more than one '->'") }
    var terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    guard terms.count == n.node.inputs.count, ranks.count == terms.count else {
      throw n.error("equation '\(text)' has \(terms.count) operands for \(n.node.inputs.count) inputs")
    }
    guard (1...2).contains(terms.count) else { throw refuse("\(terms.count) operands (one or two are)") }
    var outputTerm = sides.count == 2 ? sides[1] : nil
    // The ellipsis' axes get letters the equation does not use: operand i takes the last
    // (rank - letters) of them, so the axes line up from the right.
    var ellipsis: [Character] = []
    if text.contains(".") {
      for term in terms + [outputTerm ?? ""] where term.filter({ $0 == "." }).count != (term.contains("...") ? 3 : 0) {
        throw refuse("'\(term)': a '.' outside one '...'")
      }
      let counts = zip(terms, ranks).map { term, rank in term.contains("...") ? rank - (term.count - 3) : 0 }
      guard counts.allSatisfy({ $0 >= 0 }) else { throw n.error("equation '\(text)' names more axes than an operand has") }
      let spare = (Array("abcdefghijklmnopqrstuvwxyz") + Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")).filter { !text.contains($0) }
      guard let widest = counts.max(), widest <= spare.count else { throw refuse("more ellipsis axes than unused letters") }
      ellipsis = Array(spare.prefix(widest))
      if outputTerm?.contains("...") == true, !terms.contains(where: { $0.contains("...") }) {
        throw refuse("an ellipsis only in the output")
      }
      for i in terms.indices {
        terms[i] = terms[i].replacingOccurrences(of: "...", with: String(ellipsis.suffix(counts[i])))
      }
      outputTerm = outputTerm?.replacingOccurrences(of: "...", with: String(ellipsis))
    }
    operands = terms.map { Array($0) }
    let letters = operands.joined()
    if let outputTerm {
      output = Array(outputTerm)
    } else {
      output = ellipsis + Set(letters).filter { c in !ellipsis.contains(c) && letters.filter { $0 == c }.count == 1 }.sorted()
    }
    guard (letters + output).allSatisfy({ $0.isLetter && $0.isASCII }) else { throw refuse("axes must be named by letters") }
    guard Set(output).count == output.count else { throw refuse("the output '\(String(output))' names an axis twice") }
    guard output.allSatisfy(letters.contains) else { throw refuse("an output axis appears in no operand") }
  }

  /// The size of each letter from the operands' dims, which must agree (a size 1 broadcasts).
  func sizes(_ n: some NodeOperands, _ dims: [[Dim]]) throws -> [Character: Dim] {
    var size: [Character: Dim] = [:]
    for (term, d) in zip(operands, dims) {
      guard term.count == d.count else { throw n.error("operand '\(String(term))' names \(term.count) axes of a rank-\(d.count) input") }
      for (i, c) in term.enumerated() {
        if let j = term[..<i].firstIndex(of: c), d[i] != d[j] {
          throw n.error("operand '\(String(term))' takes the diagonal of axes of sizes \(d[j]) and \(d[i])")
        }
      }
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
    "one or two operands (e.g. bhid,bhjd->bhij, ij,jk->ik, i,j->ij, ij->ji, ...ij,...jk->...ik, ...ii->...i); rewritten into Transpose, Reshape, Gather (diagonals), MatMul and ReduceSum."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let inputs = try n.node.inputs.indices.map { try n.input($0, "operand \($0)") }
    let equation = try EinsumEquation(n, ranks: inputs.map(\.shape.rank))
    guard inputs.allSatisfy({ $0.elementType == inputs[0].elementType }) else { throw n.error("operands have different element types") }
    let size = try equation.sizes(n, inputs.map(\.shape.dims))
    return [ValueState(inputs[0].elementType, Shape(equation.output.map { size[$0]! }))]
  }

  /// Every output element sums, over the letters only the inputs name, the product of the inputs
  /// there. Slow and obvious.
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let inputs = try n.allInputs()
    let equation = try EinsumEquation(n, ranks: inputs.map(\.dims.count))
    let size = try equation.sizes(n, inputs.map { $0.dims.map(Dim.fixed) }).mapValues { $0.value! }
    let summed = Array(Set(equation.operands.joined()).subtracting(equation.output)).sorted()
    let values = inputs.map(\.floats)
    // Letters numbered output first, then summed; per operand, each letter's stride (0 where the
    // operand lacks it or has size 1, which broadcasts; the sum of its axes' strides where it
    // names it twice, which walks the diagonal).
    let letters = equation.output + summed
    let strides = inputs.indices.map { i -> [Int] in
      let own = Evaluate.strides(inputs[i].dims), term = equation.operands[i]
      return letters.map { c in term.indices.filter { term[$0] == c && inputs[i].dims[$0] != 1 }.map { own[$0] }.reduce(0, +) }
    }
    let dims = letters.map { size[$0]! }
    let outDims = Array(dims.prefix(equation.output.count)), sumCount = dims.dropFirst(equation.output.count).reduce(1, *)
    var out = [Float](repeating: 0, count: outDims.reduce(1, *))
    var at = [Int](repeating: 0, count: letters.count)
    for o in out.indices {
      for s in 0..<sumCount {
        var rest = s
        for d in stride(from: letters.count - 1, through: 0, by: -1) {
          if d == equation.output.count - 1 { rest = o }
          (at[d], rest) = (rest % dims[d], rest / dims[d])
        }
        var product: Float = 1
        for i in inputs.indices { product *= values[i][zip(at, strides[i]).map(*).reduce(0, +)] }
        out[o] += product
      }
    }
    return [Tensor(floats: out, dims: outDims).converted(to: inputs[0].dataType)]
  }

  static func lower(_ n: LoweringContext) throws {
    throw LoweringContext.Unsupported(reason: "left for the decompose-einsum pass, which did not rewrite it")
  }
}
