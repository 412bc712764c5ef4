import GraphCompiler
import GraphIR

/// The two renderings of `graphc shapes`: an aligned table and JSON.
enum ShapesReport {
  /// Graph inputs, then one row per node output. Initializers are summarized, not listed.
  static func table(_ g: InferredGraph) -> String {
    var rows: [[String]] = [["node", "op", "value", "type", "shape"]]
    for v in g.values where v.kind == .input {
      rows.append(["(input)", "", v.name, v.elementType.description, v.shape.description])
    }
    for v in g.values where v.kind == .node {
      rows.append([v.producer ?? "", v.op ?? "", v.name, v.elementType.description, v.shape.description])
    }
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    var out = "graph \(g.name.isEmpty ? "(unnamed)" : g.name)\n"
    for (i, row) in rows.enumerated() {
      let cells = row.enumerated().map { c, cell in
        c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
      }
      out += cells.joined(separator: "  ") + "\n"
      if i == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    let initializers = g.values.filter { $0.kind == .initializer }.count
    out += "outputs: " + g.outputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", ") + "\n"
    out += "\(initializers) initializers not shown\n"
    return out
  }

  /// `{"graph", "inputs", "values", "outputs"}`; dims are integers, or strings when symbolic.
  static func json(_ g: InferredGraph) -> String {
    func shape(_ s: Shape) -> String {
      "[" + s.dims.map { d in
        switch d {
        case .fixed(let v): return String(v)
        case .symbol(let name): return quote(name)
        }
      }.joined(separator: ", ") + "]"
    }
    func named(_ v: InferredValue) -> String {
      "{\"name\": \(quote(v.name)), \"type\": \(quote(v.elementType.description)), \"shape\": \(shape(v.shape))}"
    }
    func value(_ v: InferredValue) -> String {
      "{\"name\": \(quote(v.name)), \"kind\": \(quote(v.kind.rawValue)), \"producer\": \(v.producer.map(quote) ?? "null"), "
        + "\"op\": \(v.op.map(quote) ?? "null"), \"type\": \(quote(v.elementType.description)), \"shape\": \(shape(v.shape))}"
    }
    func list(_ items: [String]) -> String {
      items.isEmpty ? "[]" : "[\n    " + items.joined(separator: ",\n    ") + "\n  ]"
    }
    return "{\n  \"graph\": \(quote(g.name)),\n  \"inputs\": \(list(g.inputs.map(named))),\n"
      + "  \"values\": \(list(g.values.map(value))),\n  \"outputs\": \(list(g.outputs.map(named)))\n}\n"
  }

  /// A JSON string literal.
  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
