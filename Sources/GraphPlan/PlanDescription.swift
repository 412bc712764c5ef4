/// Human wording of a plan's parts, shared by `graphc inspect`, `graphc dot`, the memory SVG and golden tests.
public enum PlanDescription {
  /// Short kind of a kernel, used for counts, colors and JSON: `conv`, `pool`, `dense`, ...
  public static func kind(_ k: Kernel) -> String { type(of: k.step).name }

  /// Every kind in tag order, for stable listings.
  public static let kinds = Kernel.registry.sorted { $0.tag < $1.tag }.map { $0.name }

  /// The kernel with its key parameters, e.g. `conv 3x3/2 64→128 relu +residual`.
  public static func summary(_ k: Kernel) -> String { k.step.summary }

  /// A window as `3x3/2`, then its pads and dilations when not trivial: `3x3/2 pad 1 dil 2x2`.
  public static func window(_ w: Window2D) -> String {
    var s = "\(w.kernelHeight)x\(w.kernelWidth)/" + (w.strideHeight == w.strideWidth ? "\(w.strideHeight)" : "\(w.strideHeight)x\(w.strideWidth)")
    let (t, l, b, r) = (w.padTop, w.padLeft, w.padBottom, w.padRight)
    if !w.isUnpadded {
      if t == b && l == r { s += t == l ? " pad \(t)" : " pad \(t),\(l)" } else { s += " pad \(t),\(l),\(b),\(r)" }
    }
    if w.dilationHeight != 1 || w.dilationWidth != 1 { s += " dil \(w.dilationHeight)x\(w.dilationWidth)" }
    return s
  }

  /// `6x24x24`; a scalar is `1`.
  public static func dims(_ d: [Int]) -> String { d.isEmpty ? "1" : d.map(String.init).joined(separator: "x") }

  /// A float without trailing zeros: `0.0001`, `6`, `0.75`.
  public static func number(_ v: Float) -> String {
    if v == v.rounded(), abs(v) < 1e9 { return String(Int(v)) }
    return "\(v)"
  }

  /// `12,345`.
  public static func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
      out.append(c)
    }
    return (n < 0 ? "-" : "") + out
  }

  /// Where a view lives, in bytes per batch item: `@1,024 (3,456 B)` or, for a slice, `@1,024 slice @inner 512 (256 B)`.
  public static func placement(_ v: View) -> String {
    var s = "@\(grouped(v.base * 4))"
    if isSlice(v) { s += " slice @inner \(grouped(v.inner * 4))" }
    return s + " (\(grouped(v.itemCount * 4)) B)"
  }

  /// Whether the view is part of a larger buffer (a channel slice of an in-place concat).
  public static func isSlice(_ v: View) -> Bool { v.inner != 0 || v.itemCount != v.itemStride }

  /// One line per step: index, name, kernel summary, input and output placements.
  public static func listing(_ plan: Plan) -> String {
    var lines = ["plan: \(plan.steps.count) steps, arena \(grouped(plan.arenaFloatsPerItem * 4)) B per item, \(grouped(plan.weightCount * 4)) B of weights"]
    for b in plan.inputs { lines.append("  input  \(b.name) \(dims(b.view.dims)) \(placement(b.view))") }
    for (i, step) in plan.steps.enumerated() {
      let ins = step.inputs.map(placement).joined(separator: ", ")
      lines.append("  \(i) \(step.name): \(summary(step.kernel)) [\(step.absorbed.joined(separator: " + "))] (\(ins)) -> \(dims(step.output.dims)) \(placement(step.output))")
    }
    for b in plan.outputs {
      let type = b.elementType == .float32 ? "" : " \(b.elementType)"
      lines.append("  output \(b.name)\(type) " + (b.constant != nil ? "\(dims(b.shape ?? [])) (constant)" : "\(dims(b.view.dims)) \(placement(b.view))"))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
