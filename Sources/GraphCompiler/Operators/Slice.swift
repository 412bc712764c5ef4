import GraphIR
import GraphPlan

/// One axis of a slice: the first element taken, the stride, and how many.
struct AxisWindow: Equatable {
  var start: Int
  var step: Int
  var count: Int

  /// The whole axis.
  static func all(_ size: Int) -> AxisWindow { AxisWindow(start: 0, step: 1, count: size) }

  /// ONNX Slice's rule for one axis of `size`: negative positions count from the end, then
  /// start and end are clamped ([0, size] going forward, [0, size-1] and [-1, size-1] backward).
  static func onnx(start: Int, end: Int, step: Int, size: Int) -> AxisWindow {
    var s = start < 0 ? start + size : start
    var e = end < 0 ? end + size : end
    if step > 0 {
      s = min(max(s, 0), size)
      e = min(max(e, 0), size)
      return AxisWindow(start: s, step: step, count: e > s ? (e - s - 1) / step + 1 : 0)
    }
    s = min(max(s, 0), size - 1)
    e = min(max(e, -1), size - 1)
    return AxisWindow(start: s, step: step, count: s > e ? (s - e - 1) / -step + 1 : 0)
  }

  /// Whether these windows, one per axis of `dims`, take the whole tensor in order.
  static func takesAll(_ windows: [AxisWindow], _ dims: [Int]) -> Bool { windows == dims.map(all) }

  /// `x` restricted to `windows` (one per axis), any element type.
  static func select(_ x: Tensor, _ windows: [AxisWindow]) -> Tensor {
    let strides = Evaluate.strides(x.dims)
    var flat: [Int] = [0]
    for (d, w) in windows.enumerated() {
      flat = flat.flatMap { base in (0..<w.count).map { base + (w.start + $0 * w.step) * strides[d] } }
    }
    return Evaluate.select(x, dims: windows.map(\.count), flat)
  }

  /// The slice step for per-item windows of a batched value (the batch axis, window 0, taken whole).
  static func lower(_ n: LoweringContext, _ windows: [AxisWindow], output: String) throws {
    guard windows[0].start == 0, windows[0].step == 1 else {
      throw LoweringContext.Unsupported(reason: "slicing the batch axis")
    }
    let item = windows.dropFirst()
    n.emit(.slice(starts: item.map(\.start), steps: item.map(\.step)), inputs: [n.x], output: output)
  }
}

/// Slice: starts, ends, axes and steps are attributes before opset 10 (no steps) and inputs
/// from then on, known at compile time. Slicing a rank-1 integer value keeps its known elements
/// (exporters slice `Shape` outputs). At run time the batch axis must be taken whole.
enum SliceOp: OperatorDefinition {
  static let opTypes = ["Slice"]
  static let attributes: Set<String> = ["starts", "ends", "axes"]
  static let folds = true

  /// The raw per-axis parameters, axes normalized against `rank`.
  static func parameters(_ n: some NodeOperands, rank: Int) throws -> [(axis: Int, start: Int, end: Int, step: Int)] {
    let starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
    if n.opset < 10 {
      guard let s = try n.node.ints("starts"), let e = try n.node.ints("ends") else { throw n.error("starts and ends are required") }
      (starts, ends, axes, steps) = (s, e, try n.node.ints("axes"), nil)
    } else {
      guard n.node.attributes.isEmpty else {
        throw n.error("starts, ends and axes are inputs from opset 10 on, not attributes (the model imports opset \(n.opset))")
      }
      guard let s = try n.knownInts(1, "starts"), let e = try n.knownInts(2, "ends") else { throw n.error("starts and ends are required") }
      (starts, ends, axes, steps) = (s, e, try n.knownInts(3, "axes"), try n.knownInts(4, "steps"))
    }
    let axisList = axes ?? Array(0..<starts.count)
    let stepList = steps ?? Array(repeating: 1, count: starts.count)
    guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count else {
      throw n.error("starts (\(starts.count)), ends (\(ends.count)), axes (\(axisList.count)) and steps (\(stepList.count)) differ in length")
    }
    guard !stepList.contains(0) else { throw n.error("steps must not be 0") }
    let normalized = try n.normalizedAxes(axisList, rank: rank)
    return normalized.indices.map { (normalized[$0], starts[$0], ends[$0], stepList[$0]) }
  }

  /// One window per axis of a tensor of `dims`.
  static func windows(_ n: some NodeOperands, _ dims: [Int]) throws -> [AxisWindow] {
    var windows = dims.map(AxisWindow.all)
    for p in try parameters(n, rank: dims.count) {
      windows[p.axis] = AxisWindow.onnx(start: p.start, end: p.end, step: p.step, size: dims[p.axis])
    }
    return windows
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "data")
    var dims = x.shape.dims
    var windows: [AxisWindow?] = dims.map { $0.value.map(AxisWindow.all) }
    for p in try parameters(n, rank: dims.count) {
      if let size = dims[p.axis].value {
        let w = AxisWindow.onnx(start: p.start, end: p.end, step: p.step, size: size)
        windows[p.axis] = w
        dims[p.axis] = .fixed(w.count)
      } else if !(p.start == 0 && p.step == 1 && p.end >= Int(Int32.max)) {
        // A symbolic dim keeps its symbol only when taken whole.
        dims[p.axis] = n.freshSymbol(dim: p.axis)
        windows[p.axis] = nil
      }
    }
    var out = ValueState(x.elementType, Shape(dims))
    if dims.count == 1, let elements = x.elements, let w = windows[0] {
      out.elements = (0..<w.count).map { elements[w.start + $0 * w.step] }
    }
    return [out]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    return [AxisWindow.select(x, try windows(n, x.dims))]
  }

  static func lower(_ n: LoweringContext) throws {
    let item = n.dims(n.x)
    // The batch's size is unknown here: its window is whole when the parameters leave it alone.
    var windows = [AxisWindow.all(1)] + item.map(AxisWindow.all)
    for p in try parameters(n, rank: item.count + 1) {
      guard p.axis > 0 else {
        guard p.start == 0, p.step == 1, p.end >= Int(Int32.max) else { throw LoweringContext.Unsupported(reason: "slicing the batch axis") }
        continue
      }
      windows[p.axis] = AxisWindow.onnx(start: p.start, end: p.end, step: p.step, size: item[p.axis - 1])
    }
    if AxisWindow.takesAll(Array(windows.dropFirst()), item) { return n.alias(n.output, .view(of: n.x)) }
    try AxisWindow.lower(n, windows, output: n.output)
  }
}

/// Split: consecutive parts along `axis` (default 0), sized by `split` (an attribute before
/// opset 13, an input from then on; in opset 1 either), or equal parts (from opset 18 `num_outputs`, the last part
/// smaller when the size does not divide). Each output is a slice step at run time.
enum SplitOp: OperatorDefinition {
  static let opTypes = ["Split"]
  static let attributes: Set<String> = ["axis", "split", "num_outputs"]
  static let folds = true

  /// The normalized axis and the parts' sizes along it, for an axis of `size`.
  static func parts(_ n: some NodeOperands, rank: Int, size: Int?) throws -> (axis: Int, sizes: [Int]) {
    // Split-1's schema gives `axis` no default (0 came with opset 2): refuse rather than guess.
    guard n.opset >= 2 || n.node.attributes["axis"] != nil else { throw n.error("attribute axis is required in opset 1") }
    let axis = try n.axis(try n.node.int("axis", default: 0), rank: rank)
    let outputs = n.node.outputs.count
    let given: [Int]?
    if n.opset < 2, n.hasInput(1) {
      given = try n.knownInts(1, "split")
    } else if n.opset < 13 {
      given = try n.node.ints("split")
    } else {
      guard n.node.attributes["split"] == nil else {
        throw n.error("'split' is an input from opset 13 on, not an attribute (the model imports opset \(n.opset))")
      }
      given = try n.knownInts(1, "split")
    }
    if let given {
      guard given.count == outputs else { throw n.error("split has \(given.count) sizes for \(outputs) outputs") }
      guard given.allSatisfy({ $0 >= 0 }) else { throw n.error("split sizes \(given) must not be negative") }
      // A checked sum: the sizes come from the file, and two of them may add past Int.max.
      if let size, DimArithmetic.sum(given.map(Dim.fixed)) != .fixed(size) {
        throw n.error("split sizes \(given) do not add up to \(size)")
      }
      return (axis, given)
    }
    guard let size else { throw n.error("cannot split symbolic axis \(axis) into equal parts") }
    if n.opset >= 18, let count = try n.node.int("num_outputs") {
      guard count == outputs, count >= 1 else { throw n.error("num_outputs \(count) but the node has \(outputs) outputs") }
      let chunk = (size + count - 1) / count
      return (axis, (0..<count).map { max(0, min(chunk, size - $0 * chunk)) })
    }
    guard outputs >= 1, size % outputs == 0 else {
      throw n.error("axis \(axis) of size \(size) does not split into \(outputs) equal parts")
    }
    return (axis, Array(repeating: size / outputs, count: outputs))
  }

  /// Each part's window along the axis.
  static func windows(_ sizes: [Int]) -> [AxisWindow] {
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return AxisWindow(start: start, step: 1, count: size)
    }
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 1 else { throw n.error("cannot split a scalar") }
    let rawAxis = try n.axis(try n.node.int("axis", default: 0), rank: x.shape.rank)
    let (axis, sizes) = try parts(n, rank: x.shape.rank, size: x.shape[rawAxis].value)
    return sizes.map { size in
      var dims = x.shape.dims
      dims[axis] = .fixed(size)
      return ValueState(x.elementType, Shape(dims))
    }
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    let x = try n.input(0)
    let axis = try n.axis(try n.node.int("axis", default: 0), rank: x.dims.count)
    let (_, sizes) = try parts(n, rank: x.dims.count, size: x.dims[axis])
    return windows(sizes).map { w in
      var all = x.dims.map(AxisWindow.all)
      all[axis] = w
      return AxisWindow.select(x, all)
    }
  }

  static func lower(_ n: LoweringContext) throws {
    let item = n.dims(n.x)
    let axis = try n.axis(try n.node.int("axis", default: 0), rank: item.count + 1)
    guard axis > 0 else { throw LoweringContext.Unsupported(reason: "splitting the batch axis") }
    let (_, sizes) = try parts(n, rank: item.count + 1, size: item[axis - 1])
    for (w, output) in zip(windows(sizes), n.node.outputs) where !output.isEmpty {
      var all = [AxisWindow.all(1)] + item.map(AxisWindow.all)
      all[axis] = w
      try AxisWindow.lower(n, all, output: output)
    }
  }
}
