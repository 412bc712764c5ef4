import GraphIR
import GraphPlan

/// Concat: same rank, equal dims except along `axis`, where sizes add up (`axis` defaults to 1
/// before opset 4).
enum ConcatOp: OperatorDefinition {
  static let opTypes = ["Concat"]
  static let attributes: Set<String> = ["axis"]
  static let folds = true
  static let lowersConstantFirstInput = true
  /// For `graphc ops` and docs/ops.md (the `notes` requirement arrives with the conv-nd branch).
  static let notes: String? =
    "any axis (the batch axis only with fixed shapes); along the channels the inputs' producers write their slices of the output in place."

  static func rawAxis(_ n: some NodeOperands) throws -> Int {
    guard let axis = try n.node.int("axis") ?? defaultAxis(opset: n.opset) else { throw n.error("attribute axis is required") }
    return axis
  }

  /// The axis when the attribute is absent: 1 before opset 4 (Caffe2's channels), none after.
  static func defaultAxis(opset: Int) -> Int? { opset < 4 ? 1 : nil }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    guard !n.inputs.isEmpty else { throw n.error("needs at least one input") }
    let parts = try n.inputs.indices.map { try n.input($0, "input \($0)") }
    let first = parts[0]
    guard first.shape.rank >= 1 else { throw n.error("cannot concatenate scalars") }
    let axis = try n.axis(try rawAxis(n), rank: first.shape.rank)
    var dims = first.shape.dims
    for (i, p) in parts.enumerated().dropFirst() {
      guard p.elementType == first.elementType else {
        throw n.error("input \(i) is \(p.elementType), input 0 is \(first.elementType)")
      }
      guard p.shape.rank == first.shape.rank else {
        throw n.error("input \(i) has shape \(p.shape), input 0 has \(first.shape): ranks differ")
      }
      for d in 0..<dims.count where d != axis {
        guard let agreed = n.unify(dims[d], p.shape[d]) else {
          throw n.error("input \(i) has shape \(p.shape), input 0 has \(first.shape): dim \(d) differs (concat axis \(axis))")
        }
        dims[d] = agreed
      }
    }
    guard let total = DimArithmetic.sum(parts.map { $0.shape[axis] }) else {
      throw n.error("concatenated size overflows")
    }
    dims[axis] = total
    var out = ValueState(first.elementType, Shape(dims))
    // Concatenating known 1-D integer values (PyTorch's shape lists) keeps them known.
    if dims.count == 1 {
      let known = parts.compactMap(\.elements)
      if known.count == parts.count { out.elements = known.flatMap { $0 } }
    }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let parts = try n.allInputs()
    guard let first = parts.first, !first.dims.isEmpty else { throw n.error("needs at least one input of rank 1 or more") }
    let rank = first.dims.count
    let axis = try n.axis(try rawAxis(n), rank: rank)
    for p in parts where p.dims.count != rank || (0..<rank).contains(where: { $0 != axis && p.dims[$0] != first.dims[$0] }) {
      throw n.error("cannot concatenate shapes \(first.dims) and \(p.dims) on axis \(axis)")
    }
    let outer = first.dims[..<axis].reduce(1, *)
    var dims = first.dims
    dims[axis] = parts.map { $0.dims[axis] }.reduce(0, +)
    // Gather every part's chunks in output order, as flat indices into the parts laid end to end.
    var starts: [Int] = [], total = 0
    for p in parts { starts.append(total); total += p.elementCount }
    var flat: [Int] = []
    flat.reserveCapacity(total)
    for o in 0..<outer {
      for (p, start) in zip(parts, starts) {
        let chunk = p.dims[axis...].reduce(1, *)
        flat += (start + o * chunk)..<(start + (o + 1) * chunk)
      }
    }
    let joined: Tensor
    if parts.allSatisfy({ $0.dataType.isInteger }) {
      joined = Tensor(dataType: first.dataType, dims: [total], storage: .integers(parts.flatMap(\.int64s)))
    } else {
      joined = Tensor(floats: parts.flatMap(\.floats), dims: [total])
    }
    return [Evaluate.select(joined, dims: dims, flat)]
  }

  /// Along channels, as one copy per input into its slice of the output; the
  /// `concat-in-place` pass then lets the producers write their slices directly. Along a later
  /// axis, or with constant inputs, one concat step (a constant becomes a value first).
  static func lower(_ n: LoweringContext) throws {
    let outDims = n.dims(n.output)
    let axis = try n.axis(try rawAxis(n), rank: outDims.count + 1)
    guard axis >= 1 else { throw LoweringContext.Unsupported(reason: "concatenation along the batch") }
    if axis == 1, n.node.inputs.allSatisfy(n.isComputed) { return try lowerInPlace(n, outDims) }
    var parts: [String] = []
    for (i, input) in n.node.inputs.enumerated() {
      if n.isComputed(input) {
        parts.append(n.resolved(input))
        continue
      }
      let t = try n.constant(i)
      if t.elementCount == 0 { continue }  // an empty piece (an empty value is a constant) adds nothing
      // A constant under a batched output would repeat along the batch: its shape cannot hold one.
      guard let items = n.items else { throw LoweringContext.Unsupported(reason: "concatenating a constant onto batched values") }
      let part = "\(n.output)#part\(i)"
      n.newValue(part, dims: n.whole ? t.dims : Array(t.dims.dropFirst()))
      guard n.lowering.program.values[part]!.itemCount * items == t.elementCount else { throw n.error("constant input \(i) \(t.dims) does not fit") }
      n.emit(.constant(n.addWeights(t.floats)), inputs: [], output: part)
      parts.append(part)
    }
    n.emit(.concat(axis: axis - 1), inputs: parts)
  }

  private static func lowerInPlace(_ n: LoweringContext, _ outDims: [Int]) throws {
    var inner = 0
    for input in n.node.inputs {
      let slice = "\(n.output)#\(inner)"
      n.newValue(slice, dims: n.dims(input), alias: .slice(of: n.resolved(n.output), inner: inner))
      n.lowering.program.steps.append(.init(
        name: "\(n.node.name)/copy", absorbed: [n.node.name], kernel: .copy, inputs: [n.resolved(input)], output: slice, isConcatCopy: true))
      inner += n.dims(input).reduce(1, *)
    }
    guard inner == outDims.reduce(1, *) else { throw n.error("inputs do not add up to the output shape") }
  }
}
