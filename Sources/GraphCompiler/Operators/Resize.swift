import GraphIR
import GraphPlan
import GraphReference

/// Resize (opset 10 on) and Upsample (opsets 7 to 9): every output axis position maps back to an
/// input coordinate (`coordinate_transformation_mode`), then reads the nearest input position
/// (`nearest_mode`) or blends the ones around it (`linear`: two, `cubic`: four; `antialias` widens
/// the kernel when downsampling). Scales or sizes are constants. Nearest lowers to an index-copy
/// step on any axes; linear and cubic to a resize step of per-axis tap tables over the last two axes
/// (NCHW planes and their 1-D form). tf_crop_and_resize reads a constant roi; positions outside it
/// read extrapolation_value (nearest: the index-copy fill; linear and cubic: zero weights, then a
/// constant added by a binary step when the value is not 0).
enum ResizeOp: OperatorDefinition {
  static let opTypes = ["Resize"]
  static let attributes: Set<String> = [
    "mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value",
    "antialias", "axes", "keep_aspect_ratio_policy",
  ]
  static let folds = true
  static let notes: String? =
    "constant scales or sizes; nearest (every nearest_mode) on any axes; linear and cubic (cubic_coeff_a, exclude_outside, antialias) over the last two axes; every coordinate_transformation_mode (tf_crop_and_resize: constant roi; outside it extrapolation_value, added by a binary step in linear and cubic mode)."

  /// Where output position `x` of one axis reads: an input coordinate, in input positions.
  struct Axis {
    var input: Int, output: Int, scale: Double
    /// The region of interest along the axis (tf_crop_and_resize), in normalized input coordinates.
    var roi: (start: Double, end: Double) = (0, 1)
  }

  enum Mode: String { case nearest, linear, cubic }

  /// The interpolation, the nearest rounding and the coordinate rule.
  static func modes(_ n: some NodeOperands) throws -> (mode: Mode, nearest: String, transform: String) {
    let name = try n.node.string("mode", default: "nearest")
    guard let mode = Mode(rawValue: name) ?? (name == "bilinear" ? .linear : nil) else {
      throw n.error("mode '\(name)' is not supported (nearest, linear and cubic are)")
    }
    if try n.node.int("antialias", default: 0) != 0 && mode == .nearest {
      throw n.error("antialias applies to linear and cubic modes, not nearest")
    }
    if n.node.opType == "Upsample" || n.opset < 11 { return (mode, "floor", "asymmetric") }
    let transform = try n.node.string("coordinate_transformation_mode", default: "half_pixel")
    let known = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"]
    guard known.contains(transform) else {
      throw n.error("coordinate_transformation_mode '\(transform)' is not supported (\(known.joined(separator: ", ")) are)")
    }
    let nearest = try n.node.string("nearest_mode", default: "round_prefer_floor")
    guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearest) else {
      throw n.error("nearest_mode '\(nearest)' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil")
    }
    return (mode, nearest, transform)
  }

  /// A float input's values when given and non-empty; nil when absent or empty.
  static func knownFloats(_ n: some NodeOperands, _ i: Int, _ role: String) throws -> [Float]? {
    guard n.hasInput(i) else { return nil }
    guard let t = n.knownValue(i), t.isLoaded else {
      throw n.error("\(role) (input \(i), '\(n.node.inputs[i])') must be a constant known at compile time")
    }
    return t.count == 0 ? nil : t.floats
  }

  /// Each axis's input and output size and scale, for an input of `dims`.
  static func axes(_ n: some NodeOperands, _ dims: [Int]) throws -> [Axis] {
    let rank = dims.count
    var scales: [Float]?, sizes: [Int]?
    if n.node.opType == "Upsample" {
      scales = n.opset < 9 ? try n.node.floats("scales") : try knownFloats(n, 1, "scales")
    } else if n.opset < 11 {
      scales = try knownFloats(n, 1, "scales")
    } else {
      scales = try knownFloats(n, 2, "scales")
      sizes = n.hasInput(3) ? try n.knownInts(3, "sizes") : nil
      if sizes?.isEmpty == true { sizes = nil }
    }
    guard (scales == nil) != (sizes == nil) else { throw n.error("exactly one of scales and sizes must be given") }
    let axisList = n.opset >= 18 ? try n.normalizedAxes(try n.node.ints("axes") ?? Array(0..<rank), rank: rank) : Array(0..<rank)
    let given = scales?.count ?? sizes!.count
    // The roi (starts, then ends) matters only to tf_crop_and_resize, from opset 11 on.
    var roi: [Float]? = nil
    if n.node.opType == "Resize", n.opset >= 11, try modes(n).transform == "tf_crop_and_resize" {
      roi = try knownFloats(n, 1, "roi")
      guard roi?.count == 2 * axisList.count else {
        throw n.error("tf_crop_and_resize needs a roi of \(2 * axisList.count) values (starts, then ends), has \(roi?.count ?? 0)")
      }
    }
    guard given == axisList.count else { throw n.error("\(given) scales or sizes for \(axisList.count) axes of \(dims)") }
    var result = dims.map { Axis(input: $0, output: $0, scale: 1) }
    func withRoi(_ axes: [Axis]) -> [Axis] {
      guard let roi else { return axes }
      var axes = axes
      for (i, axis) in axisList.enumerated() { axes[axis].roi = (Double(roi[i]), Double(roi[i + axisList.count])) }
      return axes
    }
    if let scales {
      for (i, axis) in axisList.enumerated() {
        guard scales[i] > 0 else { throw n.error("scale \(scales[i]) must be positive") }
        result[axis] = Axis(input: dims[axis], output: Int(Double(scales[i]) * Double(dims[axis])), scale: Double(scales[i]))
      }
      return withRoi(result)
    }
    guard let sizes, sizes.allSatisfy({ $0 > 0 }) else { throw n.error("sizes must be positive") }
    guard axisList.allSatisfy({ dims[$0] > 0 }) else { throw n.error("cannot resize the empty input \(dims)") }
    let ratios = axisList.indices.map { Double(sizes[$0]) / Double(dims[axisList[$0]]) }
    let policy = n.opset >= 18 ? try n.node.string("keep_aspect_ratio_policy", default: "stretch") : "stretch"
    let common: Double?
    switch policy {
    case "stretch": common = nil
    case "not_larger": common = ratios.min()
    case "not_smaller": common = ratios.max()
    default: throw n.error("keep_aspect_ratio_policy '\(policy)' is not one of stretch, not_larger, not_smaller")
    }
    for (i, axis) in axisList.enumerated() {
      if let common {
        result[axis] = Axis(input: dims[axis], output: Int(common * Double(dims[axis]) + 0.5), scale: common)
      } else {
        result[axis] = Axis(input: dims[axis], output: sizes[i], scale: ratios[i])
      }
    }
    return withRoi(result)
  }

  /// The input coordinate output position `x` maps to. As ONNX defines it, align_corners and
  /// pytorch_half_pixel take the unrounded output length `scale * input`.
  static func coordinate(_ x: Int, _ a: Axis, transform: String) -> Double {
    let x = Double(x), scale = a.scale, out = scale * Double(a.input)
    switch transform {
    case "align_corners": return out == 1 ? 0 : x * Double(a.input - 1) / (out - 1)
    case "tf_crop_and_resize":
      // In the reference's order of operations: the edges of the roi are compared exactly.
      let width = a.roi.end - a.roi.start, last = Double(a.input - 1)
      return (out == 1 ? width * last / 2 : x * width * last / (out - 1)) + a.roi.start * last
    case "asymmetric": return x / scale
    case "pytorch_half_pixel": return out == 1 ? -0.5 : (x + 0.5) / scale - 0.5
    case "half_pixel_symmetric":
      let offset = Double(a.input) / 2 * (1 - Double(a.output) / out)
      return offset + (x + 0.5) / scale - 0.5
    default: return (x + 0.5) / scale - 0.5
    }
  }

  /// Whether the axis is left as it is (ONNX skips it: same size, scale 1).
  static func isIdentity(_ a: Axis) -> Bool { a.output == a.input && abs(a.scale - 1) < 1e-9 && a.roi == (0, 1) }

  /// Whether tf_crop_and_resize maps `c` outside the input: it reads extrapolation_value there.
  static func isOutside(_ c: Double, _ a: Axis, transform: String) -> Bool {
    transform == "tf_crop_and_resize" && (c < 0 || c > Double(a.input - 1))
  }

  static func extrapolation(_ n: some NodeOperands) throws -> Float { try n.node.float("extrapolation_value", default: 0) }

  /// Per axis, whether each output position falls outside tf_crop_and_resize's roi; nil when none
  /// does or extrapolation_value is 0 (the interpolation's zero weights already give it).
  static func outside(_ n: some NodeOperands, _ dims: [Int]) throws -> [[Bool]]? {
    let transform = try modes(n).transform
    guard transform == "tf_crop_and_resize", try extrapolation(n) != 0 else { return nil }
    let masks = try axes(n, dims).map { a in
      isIdentity(a) ? Array(repeating: false, count: a.input) : (0..<a.output).map { isOutside(coordinate($0, a, transform: transform), a, transform: transform) }
    }
    return masks.contains { $0.contains(true) } ? masks : nil
  }

  /// Nearest resize: the input position each output position reads, per axis (-1: outside
  /// tf_crop_and_resize's roi, reading extrapolation_value).
  static func nearestTables(_ n: some NodeOperands, _ dims: [Int]) throws -> [[Int]] {
    let (_, nearest, transform) = try modes(n)
    return try axes(n, dims).map { a in
      if isIdentity(a) { return Array(0..<a.input) }
      guard a.input > 0 || a.output == 0 else { throw n.error("cannot resize an empty axis to \(a.output)") }
      return (0..<a.output).map { x in
        let c = coordinate(x, a, transform: transform)
        if isOutside(c, a, transform: transform) { return -1 }
        let low = c.rounded(.down), ratio = c - low
        let up: Bool
        switch nearest {
        case "floor": up = false
        case "ceil": up = ratio > 0
        case "round_prefer_ceil": up = ratio >= 0.5
        default: up = ratio > 0.5
        }
        return min(max(Int(low) + (up ? 1 : 0), 0), a.input - 1)
      }
    }
  }

  /// Linear or cubic resize: per axis the input positions each output position reads and their
  /// weights, as ONNX's reference defines them. Around input coordinate `c`, with `base = ceil(c) - 1`
  /// and `ratio = c - base` in (0, 1], the taps are the `n` positions `base + 1 - n/2 ...` (2 for
  /// linear, 4 for cubic; antialiased downsampling widens the kernel by `1 / scale` and normalizes it);
  /// positions outside the input read its edge, or with `exclude_outside` drop out and the rest
  /// are renormalized. Outside tf_crop_and_resize's roi every weight is 0: the output is 0 there,
  /// until ``outside(_:_:)``'s mask adds extrapolation_value.
  static func interpolationTables(_ n: some NodeOperands, _ dims: [Int]) throws -> [ResizeAxis] {
    let (mode, _, transform) = try modes(n)
    let a = Double(try n.node.float("cubic_coeff_a", default: -0.75))
    let excludeOutside = try n.node.int("exclude_outside", default: 0) != 0
    let antialias = try n.node.int("antialias", default: 0) != 0
    return try axes(n, dims).map { axis in
      if isIdentity(axis) { return ResizeAxis(identity: axis.input) }
      guard axis.input > 0 || axis.output == 0 else { throw n.error("cannot resize an empty axis to \(axis.output)") }
      var table = ResizeAxis(taps: 0, positions: [], weights: [])
      for x in 0..<axis.output {
        let c = coordinate(x, axis, transform: transform)
        let base = c.rounded(.up) - 1, ratio = c - base
        let taps = weights(mode, ratio: ratio, scale: axis.scale, a: a, antialias: antialias)
        var coefficients = taps.weights
        let positions = coefficients.indices.map { Int(base) + taps.start + $0 }
        if isOutside(c, axis, transform: transform) { coefficients = coefficients.map { _ in 0 } }
        if excludeOutside {
          for (k, p) in positions.enumerated() where !(0..<axis.input).contains(p) { coefficients[k] = 0 }
          let sum = coefficients.reduce(0, +)
          if sum != 0 { coefficients = coefficients.map { $0 / sum } }
        }
        table.taps = coefficients.count
        table.positions += positions.map { min(max($0, 0), axis.input - 1) }
        table.weights += coefficients.map { Float($0) }
      }
      return table
    }
  }

  /// The weights of the taps `start, start + 1, ...` positions from `base` at `ratio` past it.
  static func weights(_ mode: Mode, ratio r: Double, scale: Double, a: Double, antialias: Bool) -> (start: Int, weights: [Double]) {
    if !antialias {
      if mode != .cubic { return (0, [1 - r, r]) }
      let q = 1 - r
      return (
        -1,
        [
          ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * q - (a + 3)) * q * q + 1, ((a * (q + 1) - 5 * a) * (q + 1) + 8 * a) * (q + 1) - 4 * a,
        ]
      )
    }
    // Antialiased: the kernel stretched by 1 / scale when downsampling, normalized to sum 1.
    let s = min(scale, 1), support: Double = mode == .cubic ? 2 : 1
    let start = Int((-support / s).rounded(.down)) + 1
    let raw = (start..<(2 - start)).map { i -> Double in
      let t = abs(s * (Double(i) - r))
      if mode != .cubic { return min(max(1 - t, 0), 1) }
      if t <= 1 { return (a + 2) * t * t * t - (a + 3) * t * t + 1 }
      return t < 2 ? a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a : 0
    }
    let sum = raw.reduce(0, +)
    return (start, raw.map { $0 / sum })
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "X")
    _ = try modes(n)
    // A symbolic axis keeps its symbol when left alone whatever its size (tried at 1 and 2).
    let ones = try axes(n, x.shape.dims.map { $0.value ?? 1 }), twos = try axes(n, x.shape.dims.map { $0.value ?? 2 })
    let dims = x.shape.dims.indices.map { d -> Dim in
      if x.shape[d].value != nil { return .fixed(ones[d].output) }
      if isIdentity(ones[d]) && isIdentity(twos[d]) { return x.shape[d] }
      return ones[d].output == twos[d].output ? .fixed(ones[d].output) : n.freshSymbol(dim: d)
    }
    return [ValueState(x.elementType, Shape(dims))]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    if try modes(n).mode == .nearest { return [IndexTables.select(x, try nearestTables(n, x.dims), fill: try extrapolation(n))] }
    let tables = try interpolationTables(n, x.dims)
    let outDims = tables.map(\.count)
    var out = Evaluate.floats(count: outDims.reduce(1, *), x) { input, output in
      Reference.resize(input, shape: x.dims, axes: tables, output: output)
    }
    if let masks = try outside(n, x.dims) {
      let value = try extrapolation(n)
      for i in out.indices {
        var rest = i
        for d in outDims.indices.reversed() {
          if masks[d][rest % outDims[d]] { out[i] = value }
          rest /= outDims[d]
        }
      }
    }
    return [Tensor(floats: out, dims: outDims)]
  }

  static func lower(_ n: LoweringContext) throws {
    if try modes(n).mode == .nearest { return try IndexTables.lower(n, fill: try extrapolation(n)) { try nearestTables(n, $0) } }
    let item = n.dims(n.x)
    var all = try interpolationTables(n, n.whole ? item : [1] + item)
    var masks = try outside(n, n.whole ? item : [1] + item)
    if !n.whole {
      guard all[0] == ResizeAxis(identity: 1) else { throw LoweringContext.Unsupported(reason: "resizing the batch axis") }
      all.removeFirst()
      masks?.removeFirst()
    }
    guard all.dropLast(2).enumerated().allSatisfy({ $1 == ResizeAxis(identity: item[$0]) }) else {
      throw LoweringContext.Unsupported(reason: "linear or cubic resize of axes before the last two")
    }
    let rows = all.count >= 2 ? all[all.count - 2] : ResizeAxis(identity: 1)
    guard let columns = all.last else { throw LoweringContext.Unsupported(reason: "linear or cubic resize of a scalar") }
    guard let masks else { return n.emit(.resize(rows: rows, columns: columns), inputs: [n.x]) }
    // tf_crop_and_resize outside the roi: the resize gives 0 there, and a constant adds extrapolation_value.
    let value = try extrapolation(n), outDims = n.dims(n.output)
    let rowOutside = masks.count >= 2 ? masks[masks.count - 2] : [false], columnOutside = masks.last ?? []
    let added = rowOutside.flatMap { row in columnOutside.map { row || $0 ? value : 0 } }
    let resized = "\(n.output)#resized"
    n.newValue(resized, dims: outDims)
    n.emit(.resize(rows: rows, columns: columns), inputs: [n.x], output: resized)
    n.emit(
      .binary(Binary(op: .add, leftDims: outDims, rightDims: Array(outDims.suffix(2)), constant: n.addWeights(added), constantIsLeft: false, activation: .none)),
      inputs: [resized])
  }
}

/// Upsample (opsets 7 to 9; `scales` an attribute before 9): Resize's asymmetric nearest or linear.
enum UpsampleOp: OperatorDefinition {
  static let opTypes = ["Upsample"]
  static let attributes: Set<String> = ["mode", "scales"]
  /// Upsample-1's, read only to be refused by name in ``infer``.
  static let legacyAttributes = ["height_scale": 7, "width_scale": 7]
  static let folds = true
  static let notes: String? = "constant scales; nearest on any axes, linear over the last two axes (as Resize, asymmetric)."

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    guard n.opset >= 7 else {
      throw n.error("Upsample before opset 7 (height_scale and width_scale) is not supported (the model imports opset \(n.opset))")
    }
    return try ResizeOp.infer(n)
  }
  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] { try ResizeOp.evaluate(n) }
  static func lower(_ n: LoweringContext) throws { try ResizeOp.lower(n) }
}
