import ArgumentParser
import Foundation
import GraphRuntime

/// How `--top` scores classes: softmax of the outputs, the outputs as they are, or softmax
/// only where the model does not end in one already.
enum Scores: String, CaseIterable, ExpressibleByArgument {
  case auto, softmax, raw

  /// Whether to apply softmax to output `name` of `model`.
  func appliesSoftmax(_ name: String, _ model: CompiledModel) -> Bool {
    switch self {
    case .softmax: return true
    case .raw: return false
    case .auto: return !model.outputIsSoftmax(name)
    }
  }
}

/// Top-K classes with their scores, as text or JSON.
enum Report {
  /// Per batch item, the `k` largest scores over the output's last axis: softmax
  /// probabilities when `softmax`, else the values themselves (the runtime's own helpers).
  static func top(_ tensor: FloatTensor, _ k: Int, softmax: Bool = true) -> [[(Int, Double)]] {
    guard k > 0 else { return [] }
    return (softmax ? tensor.softmax() : tensor).topK(k).map { $0.map { ($0.index, Double($0.score)) } }
  }

  /// A bool or integer output's values as numbers (first `limit` of them): top classes do not apply.
  static func values(_ t: TypedTensor, limit: Int = .max) -> [Int64] {
    switch t.elementType {
    case .float32: return []
    case .bool: return ((try? t.bools()) ?? []).prefix(limit).map { $0 ? 1 : 0 }
    case .int64: return Array(((try? t.int64s()) ?? []).prefix(limit))
    case .int32: return ((try? t.int32s()) ?? []).prefix(limit).map(Int64.init)
    }
  }

  static func text(
    _ outputs: [String: TypedTensor], order: [String], top k: Int, softmax: (String) -> Bool = { _ in true },
    labels: Labels? = nil, timing: Timing?
  ) -> String {
    var lines: [String] = []
    for name in order {
      guard let typed = outputs[name] else { continue }
      guard let t = try? typed.floats() else {
        let shown = values(typed, limit: 16).map(String.init).joined(separator: ", ")
        lines.append("\(name) \(typed.shape.map(String.init).joined(separator: "x")) \(typed.elementType): [\(shown)\(typed.count > 16 ? ", ..." : "")]")
        continue
      }
      // Say what the numbers are: a model ending in Softmax gets none applied twice.
      let what = k == 0 ? "" : softmax(name) ? " (softmax of the output)" : " (the output's values)"
      lines.append("\(name) \(t.shape.map(String.init).joined(separator: "x"))\(what)")
      for (item, best) in top(t, k, softmax: softmax(name)).enumerated() {
        let list = best.map { c in
          String(format: "%d", c.0) + (labels.map { " \($0(c.0))" } ?? "") + String(format: " (%.4f)", c.1)
        }.joined(separator: ", ")
        lines.append("  [\(item)] \(list)")
      }
    }
    if let timing {
      lines.append(String(format: "bench: %d runs, batch %d: min %.3f ms, median %.3f ms, p90 %.3f ms, %.1f items/s",
                          timing.runs, timing.batch, timing.min, timing.median, timing.p90, timing.throughput))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Where the plan came from, as `--json` outputs report it.
  static func planJSON(_ p: PlanProvenance) -> [String: Any] {
    ["compiler_version": p.compilerVersion, "model_file": p.modelFile, "model_sha256": p.modelSHA256]
  }

  static func json(
    _ outputs: [String: TypedTensor], order: [String], top k: Int, softmax: (String) -> Bool = { _ in true },
    labels: Labels? = nil, threads: Int, provenance: PlanProvenance, timing: Timing?, profile: Profile? = nil
  ) -> String {
    var object: [String: Any] = [
      "version": GraphcVersion.current, "threads": threads, "plan": planJSON(provenance),
      "outputs": outputsJSON(outputs, order: order, top: k, softmax: softmax, labels: labels),
    ]
    if let timing {
      object["bench"] = ["runs": timing.runs, "batch": timing.batch, "min_ms": timing.min, "median_ms": timing.median,
                         "p90_ms": timing.p90, "throughput_per_s": timing.throughput]
    }
    if let profile { object["profile"] = profile.json }
    return serialized(object)
  }

  /// Per output: name, shape, what the scores are, and the top classes per batch item (with labels).
  /// A bool or integer output has its type and values instead of scores.
  static func outputsJSON(
    _ outputs: [String: TypedTensor], order: [String], top k: Int, softmax: (String) -> Bool, labels: Labels?
  ) -> [[String: Any]] {
    order.compactMap { name -> [String: Any]? in
      guard let typed = outputs[name] else { return nil }
      guard let t = try? typed.floats() else {
        let list: [Any] = typed.elementType == .bool ? values(typed).map { $0 != 0 } : values(typed)
        return ["name": name, "shape": typed.shape, "dtype": "\(typed.elementType)", "values": list]
      }
      let best = top(t, k, softmax: softmax(name))
      // JSON has no NaN or infinity: such a score is null, and the output says what it holds.
      var entry: [String: Any] = [
        "name": name, "shape": t.shape, "scores": softmax(name) ? "softmax" : "raw",
        "top": best.map { $0.map { [$0.0, $0.1.isFinite ? $0.1 : NSNull()] as [Any] } },
      ]
      if let labels { entry["top_labels"] = best.map { $0.map { labels($0.0) } } }
      let nonFinite = NonFinite(t.values)
      if !nonFinite.isEmpty { entry["nonfinite"] = nonFinite.json }
      return entry
    }
  }

  /// One line of JSON with sorted keys (only strings, finite numbers, null, arrays and dictionaries go in, so it cannot fail).
  static func serialized(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
