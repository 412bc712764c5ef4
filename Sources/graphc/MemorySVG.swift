import Foundation
import GraphPlan

/// The arena over the schedule as SVG, for `graphc inspect --svg`: x is the step
/// index, y the arena offset in bytes per batch item (0 at the bottom). Each buffer
/// is a rectangle from the step that first writes it to the last step that reads
/// it, as tall as its size, colored by kind, with a tooltip naming its values.
enum MemorySVG {
  static let plotHeight = 420.0
  static let left = 96.0, right = 190.0, top = 56.0, bottom = 64.0

  static func svg(_ flow: PlanDataflow, title: String) -> String {
    let plan = flow.plan
    let stepCount = max(plan.steps.count, 1)
    let column = min(48, max(6, 760 / Double(stepCount)))
    let plotWidth = column * Double(stepCount)
    let width = left + plotWidth + right, height = top + plotHeight + bottom
    let arenaBytes = plan.arenaFloatsPerItem * 4
    // Leave a little headroom so the arena line sits inside the plot.
    let scale = plotHeight / (Double(max(arenaBytes, 1)) * 1.06)
    func y(_ bytes: Int) -> Double { top + plotHeight - Double(bytes) * scale }
    func x(_ step: Int) -> Double { left + Double(step) * column }

    var out: [String] = []
    out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">")
    out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
    let batch = plan.fixedBatch.map { "batch \($0)" } ?? "any batch"
    out.append(text(left, 22, "\(title): arena over the schedule", size: 15, weight: "bold"))
    out.append(text(left, 40, "\(plan.steps.count) steps, \(flow.buffers.count) buffers, arena \(PlanDescription.grouped(arenaBytes)) bytes per batch item (\(batch))", fill: "#555"))

    // Grid and y axis, ticks at round numbers of one unit.
    let unit = arenaBytes >= 4 << 20 ? 1 << 20 : arenaBytes >= 8 << 10 ? 1 << 10 : 1
    let unitName = unit == 1 << 20 ? "MB" : unit == 1 << 10 ? "KB" : "B"
    let tick = max(unit == 1 ? 1 : 0.1, niceStep(Double(arenaBytes) * 1.06 / Double(unit) / 7))
    var value = 0.0
    while value * Double(unit) <= Double(arenaBytes) * 1.06 {
      let yy = top + plotHeight - value * Double(unit) * scale
      out.append("<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(yy))\" stroke=\"#eee\"/>")
      let label = unit == 1 ? PlanDescription.grouped(Int(value)) : String(format: tick < 1 ? "%.1f" : "%.0f", value)
      out.append(text(left - 8, yy + 4, "\(label) \(unitName)", anchor: "end", fill: "#444"))
      value += tick
    }
    // Buffers.
    for buffer in flow.buffers {
      let kind = kind(of: buffer, flow)
      let x0 = x(buffer.first) + 1, x1 = x(buffer.last + 1) - 1
      let lo = buffer.base * 4, hi = (buffer.base + buffer.itemStride) * 4
      let y0 = y(hi), h = max(1.5, y(lo) - y(hi))
      let names = buffer.writes.map { flow.name(of: $0) }
      let tip = "\(names.joined(separator: ", "))\n\(kind), @\(PlanDescription.grouped(lo)), \(PlanDescription.grouped(hi - lo)) B per item, steps \(buffer.first)–\(buffer.last)"
      out.append("<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(max(1, x1 - x0)))\" height=\"\(f(h))\" fill=\"\(PlanColors.fill(kind))\" stroke=\"#444\" stroke-width=\"0.6\"><title>\(escape(tip))</title></rect>")
      // Slice boundaries of a concat buffer.
      for w in buffer.writes where flow.writes[w].view.inner > 0 {
        let sy = y(lo + flow.writes[w].view.inner * 4)
        out.append("<line x1=\"\(f(x0))\" y1=\"\(f(sy))\" x2=\"\(f(x0 + max(1, x1 - x0)))\" y2=\"\(f(sy))\" stroke=\"#444\" stroke-width=\"0.5\" stroke-dasharray=\"3,2\"/>")
      }
      // A label when it fits.
      let fits = Int((x1 - x0 - 6) / 6.2)
      if h >= 13 && fits >= 4 {
        let full = names.count > 1 ? "\(names[0]) +\(names.count - 1)" : names[0]
        let name = full.count > fits ? String(full.prefix(fits - 1)) + "…" : full
        out.append(text(x0 + 3, y0 + min(h / 2 + 4, 13), name, size: 10, fill: "#222"))
      }
    }
    // Arena size.
    let arenaY = y(arenaBytes)
    out.append("<line x1=\"\(f(left))\" y1=\"\(f(arenaY))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(arenaY))\" stroke=\"#c00\" stroke-width=\"1.2\" stroke-dasharray=\"6,4\"/>")
    out.append(text(left + plotWidth - 4, arenaY - 5, "arena \(PlanDescription.grouped(arenaBytes)) B", anchor: "end", fill: "#c00"))
    // Axes and x ticks.
    out.append("<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(top + plotHeight))\" stroke=\"#333\"/>")
    out.append("<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\" stroke=\"#333\"/>")
    let every = max(1, Int(niceStep(Double(stepCount) / 16)))
    for s in stride(from: 0, to: plan.steps.count, by: every) {
      let cx = x(s) + column / 2
      out.append("<line x1=\"\(f(cx))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(cx))\" y2=\"\(f(top + plotHeight + 4))\" stroke=\"#333\"/>")
      out.append(text(cx, top + plotHeight + 16, String(s), anchor: "middle", fill: "#444"))
    }
    out.append(text(left + plotWidth / 2, top + plotHeight + 40, "step index", anchor: "middle", size: 12))
    let midY = top + plotHeight / 2
    out.append("<text x=\"18\" y=\"\(f(midY))\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 18 \(f(midY)))\">arena offset (bytes per batch item)</text>")

    // Legend: the kinds present, in a fixed order.
    let present = Set(flow.buffers.map { kind(of: $0, flow) })
    let order = ["input", "output", "concat"] + PlanDescription.kinds
    var ly = top + 24
    out.append(text(left + plotWidth + 14, ly + 10, "buffer kind", size: 11, weight: "bold"))
    ly += 18
    for k in order where present.contains(k) {
      out.append("<rect x=\"\(f(left + plotWidth + 14))\" y=\"\(f(ly))\" width=\"14\" height=\"12\" fill=\"\(PlanColors.fill(k))\" stroke=\"#444\" stroke-width=\"0.6\"/>")
      out.append(text(left + plotWidth + 34, ly + 10, k == "input" || k == "output" ? "graph \(k)" : k))
      ly += 18
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  /// `input` and `output` for graph bindings, `concat` for a buffer filled in slices, else the writing kernel's kind.
  static func kind(of buffer: PlanDataflow.Buffer, _ flow: PlanDataflow) -> String {
    let writes = buffer.writes.map { flow.writes[$0] }
    if writes.contains(where: { if case .input = $0.writer { return true } else { return false } }) { return "input" }
    if writes.contains(where: { !$0.outputs.isEmpty }) { return "output" }
    if writes.count > 1 && writes.contains(where: { PlanDescription.isSlice($0.view) }) { return "concat" }
    if case .step(let t) = writes[0].writer { return PlanDescription.kind(flow.plan.steps[t].kernel) }
    return "other"
  }

  /// 1, 2 or 5 times a power of ten, at least `raw`.
  static func niceStep(_ raw: Double) -> Double {
    guard raw > 0 else { return 1 }
    let power = pow(10, floor(log10(raw)))
    for m in [1.0, 2, 5, 10] where m * power >= raw { return m * power }
    return 10 * power
  }

  static func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", size: Int = 11,
                   weight: String = "normal", fill: String = "#111") -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\">\(escape(s))</text>"
  }

  static func f(_ v: Double) -> String { String(format: "%.1f", v) }

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(c)
      }
    }
    return out
  }
}
