import Foundation
import GraphRuntime

/// Per-step timings of repeated runs (`graphrun --profile`): the session's clock read around
/// every plan step, on the session's own threads.
struct Profile {
  var steps: [StepProfile]
  var batch: Int
  var threads: Int
  /// The instruction set the kernels ran with (`avx2+fma`, ...).
  var kernels: String
  /// Per timed run, steps + 1 monotonic clock readings in nanoseconds.
  var clocks: [[UInt64]]

  static func measure(_ session: Session, _ feeds: [String: FloatTensor], runs: Int) throws -> Profile {
    var clock: [UInt64] = []
    for _ in 0..<Swift.min(3, runs) { _ = try session.run(feeds, stepClock: &clock) }  // warm caches and the arena
    var clocks: [[UInt64]] = []
    for _ in 0..<runs {
      _ = try session.run(feeds, stepClock: &clock)
      clocks.append(clock)
    }
    return Profile(
      steps: session.model.stepProfiles, batch: feeds.values.first?.shape.first ?? 1, threads: session.threads,
      kernels: session.instructionSet, clocks: clocks)
  }

  /// Median over the runs of step `i`, in milliseconds.
  func milliseconds(_ i: Int) -> Double {
    median(clocks.map { Double($0[i + 1] - $0[i]) / 1e6 })
  }

  /// Median over the runs of the first step's start to the last step's end, in milliseconds.
  var runMilliseconds: Double { median(clocks.map { Double($0[$0.count - 1] - $0[0]) / 1e6 }) }

  /// Arithmetic of step `i` for the whole batch.
  func operations(_ i: Int) -> Int { steps[i].operationsPerItem * batch }

  /// GFLOP/s of step `i` at its median time (nil for steps that only move data).
  func gflops(_ i: Int, milliseconds ms: Double) -> Double? {
    operations(i) > 0 && ms > 0 ? Double(operations(i)) / (ms * 1e6) : nil
  }

  func shapes(_ dims: [[Int]]) -> String {
    dims.map { ([batch] + $0).map(String.init).joined(separator: "x") }.joined(separator: ", ")
  }

  /// The table: one line per step in schedule order, a total line, and the five slowest steps.
  var text: String {
    let ms = steps.indices.map(milliseconds)
    let total = ms.reduce(0, +)
    let percent = { (i: Int) in total > 0 ? ms[i] * 100 / total : 0 }
    let rate = { (i: Int) in gflops(i, milliseconds: ms[i]).map { String(format: "%.1f", $0) } ?? "-" }
    let names = steps.map(\.name), kernels = steps.map(\.summary)
    let io = steps.map { "\(shapes($0.inputShapes)) -> \(shapes([$0.outputShape]))" }
    let (nw, kw, iw) = (width(names, "step"), width(kernels, "kernel"), width(io, "input -> output"))
    let pad = { (s: String, w: Int) in s + String(repeating: " ", count: max(0, w - s.count)) }
    let right = { (s: String, w: Int) in String(repeating: " ", count: max(0, w - s.count)) + s }
    let row = { (i: String, ms: String, pct: String, rate: String, cells: [String]) in
      [right(i, 4), pad(cells[0], nw), pad(cells[1], kw), pad(cells[2], iw), right(ms, 9), right(pct, 6), right(rate, 8)]
        .joined(separator: "  ")
    }
    var lines = [
      "profile: \(clocks.count) runs, batch \(batch), \(threads) thread\(threads == 1 ? "" : "s"), \(kernels) kernels; median ms per step",
      row("#", "ms", "%", "GFLOP/s", ["step", "kernel", "input -> output"]),
    ]
    for i in steps.indices {
      lines.append(row(String(i), String(format: "%.3f", ms[i]), String(format: "%.1f", percent(i)), rate(i),
                       [names[i], kernels[i], io[i]]))
    }
    let ops = steps.indices.map(operations).reduce(0, +)
    lines.append(String(format: "total: %.3f ms over %d steps (run median %.3f ms), %.3f GFLOP, %.1f GFLOP/s",
                        total, steps.count, runMilliseconds, Double(ops) / 1e9, total > 0 ? Double(ops) / (total * 1e6) : 0))
    lines.append("top 5 steps:")
    for i in steps.indices.sorted(by: { ms[$0] > ms[$1] || (ms[$0] == ms[$1] && $0 < $1) }).prefix(5) {
      lines.append("  " + [right(String(i), 4), pad(names[i], nw), pad(kernels[i], kw),
                           String(format: "%9.3f ms  %5.1f%%", ms[i], percent(i)), right(rate(i), 8) + " GFLOP/s"]
        .joined(separator: "  "))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The same numbers for `--json`.
  var json: [String: Any] {
    let ms = steps.indices.map(milliseconds)
    let total = ms.reduce(0, +)
    return [
      "runs": clocks.count, "batch": batch, "threads": threads, "kernels": kernels, "total_ms": total, "run_median_ms": runMilliseconds,
      "steps": steps.indices.map { i -> [String: Any] in
        var s: [String: Any] = [
          "index": i, "name": steps[i].name, "kind": steps[i].kind, "summary": steps[i].summary,
          "input_shapes": steps[i].inputShapes.map { [batch] + $0 }, "output_shape": [batch] + steps[i].outputShape,
          "median_ms": ms[i], "percent": total > 0 ? ms[i] * 100 / total : 0, "flops": operations(i),
        ]
        if let g = gflops(i, milliseconds: ms[i]) { s["gflops"] = g }
        return s
      },
    ]
  }

  /// Chrome trace format (chrome://tracing, Perfetto), as onnxruntime's profiler writes it: per timed run a
  /// `model_run` event and one complete (`X`) event per step, times in microseconds from the first run's start.
  var chromeTrace: [String: Any] {
    let origin = clocks.first?.first ?? 0
    let us = { (t: UInt64) in Double(t - origin) / 1e3 }
    let pid = Int(ProcessInfo.processInfo.processIdentifier)
    var events: [[String: Any]] = []
    for (run, clock) in clocks.enumerated() {
      events.append([
        "name": "model_run", "cat": "Session", "ph": "X", "ts": us(clock[0]), "dur": us(clock[clock.count - 1]) - us(clock[0]),
        "pid": pid, "tid": 0, "args": ["run": run, "batch": batch, "threads": threads],
      ])
      for i in steps.indices {
        events.append([
          "name": steps[i].name, "cat": "Node", "ph": "X", "ts": us(clock[i]), "dur": us(clock[i + 1]) - us(clock[i]),
          "pid": pid, "tid": 0,
          "args": [
            "op_name": steps[i].kind, "summary": steps[i].summary, "step": i, "run": run,
            "input_type_shape": steps[i].inputShapes.map { [batch] + $0 }, "output_type_shape": [batch] + steps[i].outputShape,
            "flops": operations(i),
          ] as [String: Any],
        ])
      }
    }
    return ["traceEvents": events, "displayTimeUnit": "ms"]
  }

  func writeChromeTrace(to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: chromeTrace, options: [.sortedKeys])
    do { try data.write(to: URL(fileURLWithPath: path)) } catch {
      throw RuntimeError.file(path: path, reason: "cannot write the profile (\(error.localizedDescription))")
    }
  }

  private func width(_ column: [String], _ header: String) -> Int { max(header.count, column.map(\.count).max() ?? 0) }

  private func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}
