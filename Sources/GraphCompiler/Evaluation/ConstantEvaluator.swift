import GraphIR

/// Evaluates nodes whose inputs are all constants, for constant folding.
///
/// Covers what exporters emit around shapes and weights (Shape/Gather/Unsqueeze/
/// Concat/Cast chains, arithmetic on constants). Returns nil for an op it does
/// not evaluate, leaving the node in place.
enum ConstantEvaluator {
  static let foldableOps: Set<String> = [
    "Constant", "ConstantOfShape", "Identity", "Cast", "Gather", "Unsqueeze", "Squeeze", "Concat",
    "Reshape", "Flatten", "Add", "Sub", "Mul", "Div", "Transpose", "Relu",
  ]

  static func evaluate(_ node: Node, _ inputs: [Tensor?], opset: Int) throws -> [Tensor]? {
    guard foldableOps.contains(node.opType), node.domain.isEmpty else { return nil }
    func input(_ i: Int) throws -> Tensor {
      guard i < inputs.count, let t = inputs[i] else { throw GraphError.node(node, "missing input \(i)") }
      return t
    }
    switch node.opType {
    case "Constant":
      if let t = try node.tensor("value") { return [t] }
      if let f = node.attributes["value_float"], case .float(let v) = f { return [Tensor(scalar: v)] }
      if let f = try node.floats("value_floats") { return [Tensor(floats: f, dims: [f.count])] }
      if let i = try node.int("value_int") { return [Tensor(int64s: [Int64(i)], dims: [])] }
      if let i = try node.ints("value_ints") { return [Tensor(int64s: i.map(Int64.init), dims: [i.count])] }
      throw GraphError.node(node, "Constant has no supported value attribute")
    case "ConstantOfShape":
      let dims = try input(0).int64s.map(Int.init)
      guard dims.allSatisfy({ $0 >= 0 }) else { throw GraphError.node(node, "negative dims \(dims)") }
      let fill = try node.tensor("value") ?? Tensor(floats: [0], dims: [1])
      let count = dims.reduce(1, *)
      let t: Tensor
      switch fill.storage {
      case .floats(let v): t = Tensor(dataType: fill.dataType, dims: dims, storage: .floats(Array(repeating: v.first ?? 0, count: count)))
      case .doubles(let v): t = Tensor(dataType: fill.dataType, dims: dims, storage: .doubles(Array(repeating: v.first ?? 0, count: count)))
      case .integers(let v): t = Tensor(dataType: fill.dataType, dims: dims, storage: .integers(Array(repeating: v.first ?? 0, count: count)))
      case .unloaded: return nil
      }
      return [t]
    case "Identity":
      return [try input(0)]
    case "Cast":
      guard let to = try node.int("to"), let type = DataType(rawValue: Int32(to)) else {
        throw GraphError.node(node, "Cast 'to' type is missing or not supported")
      }
      return [try input(0).converted(to: type)]
    case "Gather":
      return [try gather(try input(0), try input(1), axis: try node.int("axis", default: 0), node)]
    case "Unsqueeze", "Squeeze":
      let x = try input(0)
      let axes = try node.ints("axes") ?? (inputs.count > 1 ? inputs[1]?.int64s.map(Int.init) : nil)
      var t = x
      t.dims = try node.opType == "Unsqueeze"
        ? unsqueeze(x.dims, axes ?? [], node) : squeeze(x.dims, axes, node)
      return [t]
    case "Concat":
      let parts = try (0..<inputs.count).map(input)
      return [try concat(parts, axis: try node.int("axis", default: 0), node)]
    case "Reshape":
      var x = try input(0)
      x.dims = try reshape(x.dims, try input(1).int64s.map(Int.init), allowZero: try node.int("allowzero", default: 0) == 1, node)
      return [x]
    case "Flatten":
      var x = try input(0)
      var axis = try node.int("axis", default: 1)
      if axis < 0 { axis += x.dims.count }
      guard axis >= 0, axis <= x.dims.count else { throw GraphError.node(node, "axis out of range") }
      x.dims = [x.dims[..<axis].reduce(1, *), x.dims[axis...].reduce(1, *)]
      return [x]
    case "Transpose":
      let x = try input(0)
      let perm = try node.ints("perm") ?? Array((0..<x.dims.count).reversed())
      return [try transpose(x, perm, node)]
    case "Add", "Sub", "Mul", "Div":
      return [try binary(node.opType, try input(0), try input(1), node)]
    case "Relu":
      return [map(try input(0)) { max($0, 0) }]
    default:
      return nil
    }
  }

  // MARK: - Helpers

  static func map(_ x: Tensor, _ f: (Double) -> Double) -> Tensor {
    switch x.storage {
    case .floats(let v): return Tensor(dataType: x.dataType, dims: x.dims, storage: .floats(v.map { Float(f(Double($0))) }))
    case .doubles(let v): return Tensor(dataType: x.dataType, dims: x.dims, storage: .doubles(v.map(f)))
    case .integers(let v): return Tensor(dataType: x.dataType, dims: x.dims, storage: .integers(v.map { Int64(f(Double($0))) }))
    case .unloaded: return x
    }
  }

  static func strides(_ dims: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: dims.count)
    for i in stride(from: dims.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * dims[i + 1] }
    return s
  }

  /// Gathers elements by flat index mapping, keeping the storage kind.
  static func select(_ x: Tensor, dims: [Int], _ indices: [Int]) -> Tensor {
    switch x.storage {
    case .floats(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .floats(indices.map { v[$0] }))
    case .doubles(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .doubles(indices.map { v[$0] }))
    case .integers(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .integers(indices.map { v[$0] }))
    case .unloaded: return Tensor(dataType: x.dataType, dims: dims, storage: .unloaded)
    }
  }

  static func gather(_ data: Tensor, _ indices: Tensor, axis rawAxis: Int, _ node: Node) throws -> Tensor {
    let rank = data.dims.count
    let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
    guard axis >= 0, axis < rank else { throw GraphError.node(node, "axis \(rawAxis) out of range for rank \(rank)") }
    let n = data.dims[axis]
    let idx = try indices.int64s.map { i -> Int in
      let j = Int(i) < 0 ? Int(i) + n : Int(i)
      guard j >= 0, j < n else { throw GraphError.node(node, "index \(i) out of range for dim \(n)") }
      return j
    }
    let outer = data.dims[..<axis].reduce(1, *)
    let inner = data.dims[(axis + 1)...].reduce(1, *)
    var flat: [Int] = []
    for o in 0..<outer { for j in idx { for i in 0..<inner { flat.append((o * n + j) * inner + i) } } }
    let dims = Array(data.dims[..<axis]) + indices.dims + Array(data.dims[(axis + 1)...])
    return select(data, dims: dims, flat)
  }

  static func unsqueeze(_ dims: [Int], _ axes: [Int], _ node: Node) throws -> [Int] {
    let rank = dims.count + axes.count
    let normalized = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
    guard normalized.count == axes.count, normalized.allSatisfy({ $0 >= 0 && $0 < rank }) else {
      throw GraphError.node(node, "invalid axes \(axes) for rank \(dims.count)")
    }
    var out: [Int] = []
    var it = dims.makeIterator()
    for i in 0..<rank { out.append(normalized.contains(i) ? 1 : it.next()!) }
    return out
  }

  static func squeeze(_ dims: [Int], _ axes: [Int]?, _ node: Node) throws -> [Int] {
    guard let axes else { return dims.filter { $0 != 1 } }
    let normalized = Set(axes.map { $0 < 0 ? $0 + dims.count : $0 })
    for a in normalized where a < 0 || a >= dims.count || dims[a] != 1 {
      throw GraphError.node(node, "cannot squeeze axis \(a) of shape \(dims)")
    }
    return dims.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
  }

  static func concat(_ parts: [Tensor], axis rawAxis: Int, _ node: Node) throws -> Tensor {
    guard let first = parts.first else { throw GraphError.node(node, "Concat has no inputs") }
    let rank = first.dims.count
    let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
    guard axis >= 0, axis < max(rank, 1) else { throw GraphError.node(node, "axis \(rawAxis) out of range") }
    for p in parts where p.dims.count != rank || (0..<rank).contains(where: { $0 != axis && p.dims[$0] != first.dims[$0] }) {
      throw GraphError.node(node, "cannot concatenate shapes \(first.dims) and \(p.dims) on axis \(axis)")
    }
    let outer = first.dims[..<axis].reduce(1, *)
    var dims = first.dims
    dims[axis] = parts.map { $0.dims[axis] }.reduce(0, +)
    let isFloat = parts.contains { if case .floats = $0.storage { return true } else { return false } }
    if isFloat {
      var out: [Float] = []
      for o in 0..<outer { for p in parts { let chunk = p.dims[axis...].reduce(1, *); out += p.floats[(o * chunk)..<((o + 1) * chunk)] } }
      return Tensor(dataType: first.dataType, dims: dims, storage: .floats(out))
    }
    var out: [Int64] = []
    for o in 0..<outer { for p in parts { let chunk = p.dims[axis...].reduce(1, *); out += p.int64s[(o * chunk)..<((o + 1) * chunk)] } }
    return Tensor(dataType: first.dataType, dims: dims, storage: .integers(out))
  }

  static func reshape(_ dims: [Int], _ target: [Int], allowZero: Bool, _ node: Node) throws -> [Int] {
    var out = target.enumerated().map { i, d in d == 0 && !allowZero && i < dims.count ? dims[i] : d }
    let total = dims.reduce(1, *)
    if let hole = out.firstIndex(of: -1) {
      let known = out.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
      guard known > 0, total % known == 0 else { throw GraphError.node(node, "cannot reshape \(dims) to \(target)") }
      out[hole] = total / known
    }
    guard out.allSatisfy({ $0 >= 0 }), out.reduce(1, *) == total else {
      throw GraphError.node(node, "cannot reshape \(dims) to \(target)")
    }
    return out
  }

  static func transpose(_ x: Tensor, _ perm: [Int], _ node: Node) throws -> Tensor {
    guard perm.count == x.dims.count, Set(perm) == Set(0..<x.dims.count) else {
      throw GraphError.node(node, "invalid perm \(perm) for rank \(x.dims.count)")
    }
    let dims = perm.map { x.dims[$0] }
    let inStrides = strides(x.dims)
    let outStrides = strides(dims)
    let count = x.elementCount
    let flat = (0..<count).map { o -> Int in
      var rem = o, src = 0
      for (axis, s) in outStrides.enumerated() { src += (rem / s) * inStrides[perm[axis]]; rem %= s }
      return src
    }
    return select(x, dims: dims, flat)
  }

  static func binary(_ op: String, _ a: Tensor, _ b: Tensor, _ node: Node) throws -> Tensor {
    guard let dims = broadcast(a.dims, b.dims) else {
      throw GraphError.node(node, "shapes \(a.dims) and \(b.dims) do not broadcast")
    }
    let ia = broadcastIndices(a.dims, to: dims), ib = broadcastIndices(b.dims, to: dims)
    if a.dataType.isInteger && b.dataType.isInteger {
      let x = a.int64s, y = b.int64s
      let out = try zip(ia, ib).map { i, j -> Int64 in
        switch op {
        case "Add": return x[i] &+ y[j]
        case "Sub": return x[i] &- y[j]
        case "Mul": return x[i] &* y[j]
        default:
          guard y[j] != 0 else { throw GraphError.node(node, "integer division by zero") }
          return x[i] / y[j]
        }
      }
      return Tensor(dataType: a.dataType, dims: dims, storage: .integers(out))
    }
    let x = a.floats, y = b.floats
    let out = zip(ia, ib).map { i, j -> Float in
      switch op {
      case "Add": return x[i] + y[j]
      case "Sub": return x[i] - y[j]
      case "Mul": return x[i] * y[j]
      default: return x[i] / y[j]
      }
    }
    return Tensor(dataType: a.dataType, dims: dims, storage: .floats(out))
  }

  static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = Array(repeating: 1, count: rank - a.count) + a, pb = Array(repeating: 1, count: rank - b.count) + b
    var out: [Int] = []
    for (x, y) in zip(pa, pb) {
      guard x == y || x == 1 || y == 1 else { return nil }
      out.append(x == 1 ? y : x)
    }
    return out
  }

  /// For each element of `dims`, the flat index into a tensor of `source` dims broadcast to it.
  static func broadcastIndices(_ source: [Int], to dims: [Int]) -> [Int] {
    let padded = Array(repeating: 1, count: dims.count - source.count) + source
    let s = strides(padded), o = strides(dims)
    return (0..<dims.reduce(1, *)).map { flat in
      var rem = flat, idx = 0
      for axis in 0..<dims.count {
        let coord = rem / o[axis]
        rem %= o[axis]
        if padded[axis] != 1 { idx += coord * s[axis] }
      }
      return idx
    }
  }
}
