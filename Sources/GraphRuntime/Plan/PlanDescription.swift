/// Human wording of a plan's parts, shared by `graphc inspect`, `graphc dot`, the memory SVG and golden tests.
public enum PlanDescription {
  /// Short kind of a kernel, used for counts, colors and JSON: `conv`, `pool`, `dense`, ...
  public static func kind(_ k: Kernel) -> String {
    switch k {
    case .conv: return "conv"
    case .pool: return "pool"
    case .globalPool: return "global-pool"
    case .dense: return "dense"
    case .binary: return "binary"
    case .channelAffine: return "channel-affine"
    case .activation: return "activation"
    case .lrn: return "lrn"
    case .softmax: return "softmax"
    case .transpose: return "transpose"
    case .copy: return "copy"
    }
  }

  /// Every kind in tag order, for stable listings.
  public static let kinds = ["conv", "pool", "global-pool", "dense", "binary", "channel-affine", "activation", "lrn",
                      "softmax", "transpose", "copy"]

  /// An activation as plan listings show it: `relu`, `clip(0, 6)`; empty for none.
  public static func activation(_ a: Activation) -> String {
    switch a {
    case .none: return ""
    case .relu: return "relu"
    case .clip(let lo, let hi): return "clip(\(number(lo)), \(number(hi)))"
    }
  }

  /// The kernel with its key parameters, e.g. `conv 3x3/2 64→128 relu +residual`.
  public static func summary(_ k: Kernel) -> String {
    func act(_ a: Activation) -> String { a == .none ? "" : " " + activation(a) }
    func pads(_ t: Int, _ l: Int, _ b: Int, _ r: Int) -> String {
      if t == 0 && l == 0 && b == 0 && r == 0 { return "" }
      if t == b && l == r { return t == l ? " pad \(t)" : " pad \(t),\(l)" }
      return " pad \(t),\(l),\(b),\(r)"
    }
    func window(_ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int) -> String {
      "\(kh)x\(kw)/" + (sh == sw ? "\(sh)" : "\(sh)x\(sw)")
    }
    switch k {
    case .conv(let c):
      let g = c.geometry
      var s = "conv \(window(g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth))"
      s += pads(g.padTop, g.padLeft, g.padBottom, g.padRight)
      if g.dilationHeight != 1 || g.dilationWidth != 1 { s += " dil \(g.dilationHeight)x\(g.dilationWidth)" }
      s += " \(g.inChannels)→\(g.outChannels)"
      if g.groups > 1 { s += g.groups == g.inChannels && g.groups == g.outChannels ? " depthwise" : " groups \(g.groups)" }
      if c.bias == nil { s += " no-bias" }
      return s + act(c.activation) + (c.residual ? " +residual" : "")
    case .pool(let p):
      let g = p.geometry
      var s = (p.kind == .max ? "maxpool " : "avgpool ") + window(g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth)
      s += pads(g.padTop, g.padLeft, g.padBottom, g.padRight)
      if g.dilationHeight != 1 || g.dilationWidth != 1 { s += " dil \(g.dilationHeight)x\(g.dilationWidth)" }
      if p.kind == .average && !p.countIncludePad && (g.padTop + g.padLeft + g.padBottom + g.padRight) > 0 { s += " exclude-pad" }
      return s + " ×\(g.channels)"
    case .globalPool(let kind):
      return kind == .max ? "global maxpool" : "global avgpool"
    case .dense(let d):
      return "dense \(d.inFeatures)→\(d.outFeatures)" + (d.bias == nil ? " no-bias" : "") + act(d.activation)
    case .binary(let b):
      let op: String
      switch b.op {
      case .add: op = "add"
      case .sub: op = "sub"
      case .mul: op = "mul"
      case .div: op = "div"
      }
      let left = dims(b.leftDims), right = dims(b.rightDims) + (b.constant != nil ? " const" : "")
      return "\(op) " + (b.constantIsLeft ? "\(right), \(left)" : "\(left), \(right)") + act(b.activation)
    case .channelAffine(let scale, _, let a):
      return "channel-affine ×\(scale.count)" + act(a)
    case .activation(let a):
      let s = act(a)
      return s.isEmpty ? "identity" : String(s.dropFirst())
    case .lrn(let size, let alpha, let beta, let bias):
      return "lrn size \(size) α \(number(alpha)) β \(number(beta)) k \(number(bias))"
    case .softmax(let axis):
      return "softmax axis \(axis)"
    case .transpose(let perm):
      return "transpose [\(perm.map(String.init).joined(separator: ","))]"
    case .copy:
      return "copy"
    }
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
    for b in plan.outputs { lines.append("  output \(b.name) \(dims(b.view.dims)) \(placement(b.view))") }
    return lines.joined(separator: "\n") + "\n"
  }
}
