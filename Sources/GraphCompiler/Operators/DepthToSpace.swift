import GraphIR
import GraphPlan

/// DepthToSpace and SpaceToDepth on `[N, C, H, W]` with `blocksize` b: channels moved into b×b
/// pixel blocks and back. DepthToSpace's DCR mode (the default) takes block position `(i, j)` from
/// channel `(i*b + j)*C/b² + c`, CRD from `c*b² + i*b + j`; SpaceToDepth is DCR's inverse.
/// Lowered as ONNX defines them: a view of each item as 5-D, one transpose, a view of the result.
enum DepthToSpaceOp: OperatorDefinition {
  static let opTypes = ["DepthToSpace", "SpaceToDepth"]
  static let attributes: Set<String> = ["blocksize", "mode"]

  static func toSpace(_ n: some NodeOperands) -> Bool { n.node.opType == "DepthToSpace" }

  static func blockSize(_ n: some NodeOperands) throws -> Int {
    guard let b = try n.node.int("blocksize") else { throw n.error("attribute blocksize is required") }
    guard b >= 1 else { throw n.error("blocksize must be positive, is \(b)") }
    return b
  }

  /// Whether DepthToSpace's mode is CRD (column, row, depth); DCR otherwise. SpaceToDepth has no mode.
  static func crd(_ n: some NodeOperands) throws -> Bool {
    guard n.node.attributes["mode"] != nil else { return false }
    guard toSpace(n) else { throw n.error("SpaceToDepth has no mode attribute") }
    let mode = try n.node.string("mode", default: "DCR")
    guard ["DCR", "CRD"].contains(mode) else { throw n.error("mode must be DCR or CRD, is '\(mode)'") }
    return mode == "CRD"
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input", rank: 4)
    let b = try blockSize(n)
    _ = try crd(n)
    var dims = x.shape.dims
    if toSpace(n) {
      if let c = dims[1].value, c % (b * b) != 0 { throw n.error("channels \(c) are not a multiple of blocksize² (\(b * b))") }
      dims[1] = dims[1].value.map { .fixed($0 / (b * b)) } ?? dims[1]
      for a in 2...3 { dims[a] = dims[a].value.map { .fixed($0 * b) } ?? dims[a] }
    } else {
      for a in 2...3 {
        if let d = dims[a].value, d % b != 0 { throw n.error("dim \(a) (\(d)) is not a multiple of blocksize \(b)") }
        dims[a] = dims[a].value.map { .fixed($0 / b) } ?? dims[a]
      }
      dims[1] = dims[1].value.map { .fixed($0 * b * b) } ?? dims[1]
    }
    guard dims[1...].allSatisfy({ $0.value != nil }) else { throw n.error("C, H and W must be fixed, shape is \(x.shape)") }
    return [ValueState(x.elementType, Shape(dims))]
  }

  /// Index by index, from the spec's formulas (not the reshape-transpose the lowering uses).
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    guard x.dims.count == 4 else { throw n.error("input must be [N, C, H, W], has \(x.dims)") }
    let b = try blockSize(n), crd = try crd(n), space = toSpace(n)
    // The depth-side shape [N, C, H, W]: the input of DepthToSpace, the output of SpaceToDepth.
    let (items, c, h, w) = space ? (x.dims[0], x.dims[1], x.dims[2], x.dims[3]) : (x.dims[0], x.dims[1] * b * b, x.dims[2] / b, x.dims[3] / b)
    let groups = c / (b * b)
    var depthIndex: [Int] = [], spaceIndex: [Int] = []
    for item in 0..<items {
      for g in 0..<groups {
        for i in 0..<b {
          for j in 0..<b {
            let channel = crd ? g * b * b + i * b + j : (i * b + j) * groups + g
            for y in 0..<h {
              for z in 0..<w {
                depthIndex.append(((item * c + channel) * h + y) * w + z)
                spaceIndex.append(((item * groups + g) * h * b + y * b + i) * w * b + z * b + j)
              }
            }
          }
        }
      }
    }
    let outDims = space ? [items, groups, h * b, w * b] : [items, c, h, w]
    var order = [Int](repeating: 0, count: depthIndex.count)
    for (d, s) in zip(depthIndex, spaceIndex) { order[space ? s : d] = space ? d : s }
    return [Evaluate.select(x, dims: outDims, order)]
  }

  static func lower(_ n: LoweringContext) throws {
    let dims = n.dims(n.x), b = try blockSize(n)
    guard dims.count == 3 else { throw LoweringContext.Unsupported(reason: "needs [N, C, H, W]") }
    let (c, h, w) = (dims[0], dims[1], dims[2])
    let (viewDims, perm): ([Int], [Int])
    if !toSpace(n) {
      (viewDims, perm) = ([c, h / b, b, w / b, b], [2, 4, 0, 1, 3])
    } else if try crd(n) {
      (viewDims, perm) = ([c / (b * b), b, b, h, w], [0, 3, 1, 4, 2])
    } else {
      (viewDims, perm) = ([b, b, c / (b * b), h, w], [2, 3, 0, 4, 1])
    }
    let moved = n.output + "#blocks"
    n.newValue(moved, dims: perm.map { viewDims[$0] })
    n.emit(.transpose(perm: perm), inputs: [n.view(of: n.x, dims: viewDims)], output: moved)
    n.alias(n.output, .view(of: moved))
  }
}
