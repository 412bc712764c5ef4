/// Prints a graph as Graphviz DOT for `graphc dot`: nodes as boxes labeled with
/// op and name, graph inputs and outputs as ellipses, and one edge per use of a
/// value, labeled with the value's shape when `shapes` knows it.
///
/// Constants (initializers) are not drawn; a node's label counts the ones it reads.
/// The output depends only on the graph, so the same graph always gives the same text.
///
/// ```
/// digraph "lenet" {
///   i0 [shape=ellipse, label="image\nbatchx1x28x28"];
///   n0 [shape=box, label="Conv\n/conv1/Conv\n2 constants"];
///   i0 -> n0 [label="batchx1x28x28"];
/// }
/// ```
public enum DotPrinter {
  public static func dot(_ graph: Graph, shapes: [String: Shape] = [:]) -> String {
    var lines = [
      "digraph \(quote(graph.name.isEmpty ? "graph" : graph.name)) {",
      "  rankdir=TB;",
      "  node [fontname=\"Helvetica\", fontsize=10];",
      "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];",
    ]
    // Shapes the file declares stand in for inferred ones.
    var declared: [String: Shape] = [:]
    for info in Array(graph.valueInfo.values) + graph.inputs + graph.outputs { declared[info.name] = info.shape }
    func shapeLabel(_ name: String) -> String? { (shapes[name] ?? declared[name])?.description }
    func edge(_ from: String, _ to: String, value: String) -> String {
      let label = shapeLabel(value).map { ", label=\(quote(" \($0)"))" } ?? ""
      return "  \(from) -> \(to) [tooltip=\(quote(value))\(label)];"
    }

    // Where each value comes from: a graph input ellipse or a node box.
    var source: [String: String] = [:]
    for (i, input) in graph.inputs.enumerated() {
      let shape = input.shape.map { "\n\($0)" } ?? shapes[input.name].map { "\n\($0)" } ?? ""
      lines.append("  i\(i) [shape=ellipse, style=filled, fillcolor=\"#dbeafe\", label=\(quote(input.name + shape))];")
      source[input.name] = "i\(i)"
    }
    for (i, node) in graph.nodes.enumerated() {
      for out in node.outputs where !out.isEmpty { source[out] = "n\(i)" }
    }

    for (i, node) in graph.nodes.enumerated() {
      let op = node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)"
      let constants = node.inputs.filter { !$0.isEmpty && graph.initializers[$0] != nil }.count
      var label = op
      if !node.name.isEmpty { label += "\n" + node.name }
      if constants > 0 { label += "\n\(constants) constant\(constants == 1 ? "" : "s")" }
      lines.append("  n\(i) [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", label=\(quote(label))];")
      var drawn = Set<String>()
      for input in node.inputs where !input.isEmpty && graph.initializers[input] == nil {
        // One edge per distinct value even when a node reads it twice (x * x).
        guard let from = source[input], drawn.insert(input).inserted else { continue }
        lines.append(edge(from, "n\(i)", value: input))
      }
    }

    for (i, output) in graph.outputs.enumerated() {
      let shape = (shapes[output.name] ?? output.shape).map { "\n\($0)" } ?? ""
      lines.append("  o\(i) [shape=ellipse, style=filled, fillcolor=\"#dcfce7\", label=\(quote(output.name + shape))];")
      if let from = source[output.name] { lines.append(edge(from, "o\(i)", value: output.name)) }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// A DOT string literal; newlines become `\n` line breaks of the label.
  public static func quote(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": break
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }
}
