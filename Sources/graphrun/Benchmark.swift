import Foundation
import GraphRuntime

/// Latency of repeated runs of one session on the same input.
struct Timing {
  var runs: Int
  var batch: Int
  var milliseconds: [Double]  // sorted

  var min: Double { milliseconds.first ?? 0 }
  var median: Double { milliseconds[milliseconds.count / 2] }
  var p90: Double { milliseconds[Swift.min(milliseconds.count - 1, Int(Double(milliseconds.count) * 0.9))] }
  var throughput: Double { median > 0 ? Double(batch) * 1000 / median : 0 }
}

enum Benchmark {
  static func measure(_ session: Session, _ feeds: [String: FloatTensor], runs: Int) throws -> Timing {
    for _ in 0..<Swift.min(3, runs) { _ = try session.runTyped(feeds) }  // warm caches and the arena
    var times: [Double] = []
    for _ in 0..<runs {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try session.runTyped(feeds)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return Timing(runs: runs, batch: feeds.values.first?.shape.first ?? 1, milliseconds: times.sorted())
  }
}
