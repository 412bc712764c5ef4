import GraphIR

/// Reshape: the target comes from a constant or a symbolic value; 0 copies the
/// input dim (unless allowzero), one -1 takes whatever the element count leaves.
enum ReshapeRule: ShapeRule {
  static let opTypes = ["Reshape"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let data = try n.input(0, "data")
    let shapeInput = try n.input(1, "shape", rank: 1)
    guard let target = shapeInput.elements else {
      throw n.error("shape input '\(n.node.inputs[1])' is not known at compile time (neither constant nor computed from shapes)")
    }
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

  static func describe(_ target: [Dim]) -> String {
    "[" + target.map(\.description).joined(separator: ", ") + "]"
  }
}
