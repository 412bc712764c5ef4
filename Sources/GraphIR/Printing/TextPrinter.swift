/// Prints a graph as readable text, one node per line, for `--print-ir` and
/// `--print-after`, and for golden tests of the pass pipeline.
///
/// ```
/// graph lenet
///   input  input : Nx1x28x28
///   conv1 = graphc.FusedConv(input, conv1.weight, conv1.bias) {...} fused [conv1 + relu1] relu : Nx6x28x28
///   output logits : Nx10
/// ```
public enum TextPrinter {
  /// `notes` (by node name) adds what a pass knows of a node beyond its attributes, e.g. what it fused.
  public static func text(_ graph: Graph, shapes: [String: Shape] = [:], notes: [String: String] = [:]) -> String {
    func shape(_ name: String) -> String { shapes[name].map { " : \($0)" } ?? "" }
    var lines = ["graph \(graph.name)"]
    for input in graph.inputs { lines.append("  input  \(input.name)\(shape(input.name))") }
    lines.append("  \(graph.initializers.count) constants, \(graph.initializers.values.map(\.elementCount).reduce(0, +)) values")
    for node in graph.nodes {
      let op = node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)"
      let attrs = node.attributes.keys.sorted().map { "\($0): \(node.attributes[$0]!)" }.joined(separator: ", ")
      let outs = node.outputs.joined(separator: ", ")
      let shapesText = node.outputs.filter { !$0.isEmpty }.map { shapes[$0]?.description ?? "?" }.joined(separator: ", ")
      lines.append("  \(outs) = \(op)(\(node.inputs.joined(separator: ", ")))\(attrs.isEmpty ? "" : " {\(attrs)}")\(notes[node.name].map { " " + $0 } ?? "")\(shapes.isEmpty ? "" : " : \(shapesText)")")
    }
    for output in graph.outputs { lines.append("  output \(output.name)\(shape(output.name))") }
    return lines.joined(separator: "\n") + "\n"
  }
}
