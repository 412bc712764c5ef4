import Foundation
import GraphRuntime

/// Top-K classes with softmax probabilities, as text or JSON.
enum Report {
  /// Per batch item, the `k` largest softmax probabilities over the output's last axis.
  static func top(_ tensor: FloatTensor, _ k: Int) -> [[(Int, Double)]] {
    guard let classes = tensor.shape.last, classes > 0, k > 0 else { return [] }
    let rows = tensor.values.count / classes
    return (0..<rows).map { r in
      let logits = tensor.values[(r * classes)..<((r + 1) * classes)].map(Double.init)
      let peak = logits.max() ?? 0
      let exps = logits.map { Foundation.exp($0 - peak) }
      let sum = exps.reduce(0, +)
      let order = exps.indices.sorted { exps[$0] > exps[$1] || (exps[$0] == exps[$1] && $0 < $1) }
      return order.prefix(k).map { ($0, exps[$0] / sum) }
    }
  }

  static func text(_ outputs: [String: FloatTensor], order: [String], top k: Int, timing: Timing?) -> String {
    var lines: [String] = []
    for name in order {
      guard let t = outputs[name] else { continue }
      lines.append("\(name) \(t.shape.map(String.init).joined(separator: "x"))")
      for (item, best) in top(t, k).enumerated() {
        let list = best.map { String(format: "%d (%.4f)", $0.0, $0.1) }.joined(separator: ", ")
        lines.append("  [\(item)] \(list)")
      }
    }
    if let timing {
      lines.append(String(format: "bench: %d runs, batch %d: min %.3f ms, median %.3f ms, p90 %.3f ms, %.1f items/s",
                          timing.runs, timing.batch, timing.min, timing.median, timing.p90, timing.throughput))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func json(_ outputs: [String: FloatTensor], order: [String], top k: Int, timing: Timing?, profile: Profile? = nil) -> String {
    var object: [String: Any] = [
      "outputs": order.compactMap { name -> [String: Any]? in
        guard let t = outputs[name] else { return nil }
        return ["name": name, "shape": t.shape, "top": top(t, k).map { $0.map { [$0.0, $0.1] as [Any] } }]
      }
    ]
    if let timing {
      object["bench"] = ["runs": timing.runs, "batch": timing.batch, "min_ms": timing.min, "median_ms": timing.median,
                         "p90_ms": timing.p90, "throughput_per_s": timing.throughput]
    }
    if let profile { object["profile"] = profile.json }
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
