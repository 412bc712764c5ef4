import GraphIR
import GraphPlan

/// A plan as Graphviz DOT: one box per step (name, kernel, absorbed nodes), graph
/// inputs and outputs as ellipses, and edges through the arena labeled with where
/// the value lives (offsets and sizes in bytes per batch item).
enum PlanDot {
  static func dot(_ plan: Plan, title: String) -> String {
    let flow = PlanDataflow(plan)
    let q = DotPrinter.quote
    let batch = plan.fixedBatch.map { "batch \($0)" } ?? "any batch"
    var lines = [
      "digraph \(q(title)) {",
      "  rankdir=TB;",
      "  label=\(q("\(title): \(plan.steps.count) steps, arena \(PlanDescription.grouped(plan.arenaFloatsPerItem * 4)) B per item, \(batch)"));",
      "  labelloc=t;",
      "  fontname=\"Helvetica\";",
      "  node [fontname=\"Helvetica\", fontsize=10];",
      "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];",
    ]
    func id(_ w: Int) -> String {
      switch flow.writes[w].writer {
      case .input(let i): return "i\(i)"
      case .step(let t): return "s\(t)"
      }
    }
    func label(_ v: View) -> String { " \(PlanDescription.dims(v.dims)) \(PlanDescription.placement(v))" }

    for (i, input) in plan.inputs.enumerated() {
      let text = "\(input.name)\n\(PlanDescription.dims(input.view.dims))"
      lines.append("  i\(i) [shape=ellipse, style=filled, fillcolor=\"#dbeafe\", label=\(q(text))];")
    }
    for (t, step) in plan.steps.enumerated() {
      var text = "#\(t) \(step.name)\n\(PlanDescription.summary(step.kernel))"
      if step.absorbed.count > 1 || step.absorbed.first != step.name {
        text += "\n" + wrap(step.absorbed, width: 48)
      }
      let color = PlanColors.fill(PlanDescription.kind(step.kernel))
      lines.append("  s\(t) [shape=box, style=\"rounded,filled\", fillcolor=\"\(color)\", label=\(q(text))];")
    }
    for read in flow.reads {
      let write = flow.writes[read.write]
      let slot = plan.steps[read.step].inputs.count > 1 ? ", headlabel=\(q("\(read.slot)"))" : ""
      lines.append("  \(id(read.write)) -> s\(read.step) [label=\(q(label(write.view)))\(slot)];")
    }
    for (o, output) in plan.outputs.enumerated() {
      let text = "\(output.name)\n\(PlanDescription.dims(output.view.dims))"
      lines.append("  o\(o) [shape=ellipse, style=filled, fillcolor=\"#dcfce7\", label=\(q(text))];")
      for w in flow.outputSources[o] {
        lines.append("  \(id(w)) -> o\(o) [label=\(q(label(flow.writes[w].view)))];")
      }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// `a + b + c`, broken into lines of about `width` characters.
  static func wrap(_ names: [String], width: Int) -> String {
    var lines: [String] = []
    var line = ""
    for name in names {
      let piece = line.isEmpty ? name : " + " + name
      if !line.isEmpty && line.count + piece.count > width {
        lines.append(line + " +")
        line = name
      } else {
        line += piece
      }
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n")
  }
}

/// One color per kernel kind (and for graph inputs, outputs and concat buffers), shared by the DOT and SVG views.
enum PlanColors {
  static func fill(_ kind: String) -> String {
    switch kind {
    case "input": return "#93c5fd"
    case "output": return "#86efac"
    case "concat": return "#fca5a5"
    case "conv", "conv-nd": return "#fde68a"
    case "pool", "pool-nd", "global-pool": return "#c4b5fd"
    case "dense", "matmul": return "#fdba74"
    case "binary", "select", "channel-affine", "activation": return "#a5f3fc"
    case "softmax", "lrn", "layer-norm": return "#f9a8d4"
    case "transpose", "copy", "slice", "gather": return "#d6d3d1"
    default: return "#e5e7eb"
    }
  }
}
