import Foundation
import GraphRuntime
import XCTest

/// `graphrun --profile` and `--profile-json`: the per-step lines and the trace's shape, not the timings.
final class ProfileCommandTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc") && CLI.isBuilt("graphrun"), "graphc/graphrun not built")
    directory = try CLI.temporaryDirectory("graphrun-profile")
  }

  override func tearDownWithError() throws {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  /// LeNet compiled, and two of its inputs as raw floats.
  func lenet() throws -> (plan: String, input: String) {
    let r = try CLI.run("graphc", ["compile", CLI.lenet, "-o", path("lenet.plan")])
    XCTAssertEqual(r.status, 0, r.stderr)
    try RawFloat32.write((0..<(2 * 784)).map { Float($0 % 97) / 97 }, path: path("two.bin"))
    return (path("lenet.plan"), path("two.bin"))
  }

  func testProfilePrintsEveryStepATotalAndTheTopFive() throws {
    let (plan, input) = try lenet()
    let r = try CLI.run("graphrun", [plan, input, "--profile", "--bench", "2", "--top", "1", "--threads", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = r.stdout.split(separator: "\n").map(String.init)
    let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("profile: 2 runs, batch 2, 1 thread") }, r.stdout)
    XCTAssertTrue(lines[header + 1].contains("kernel") && lines[header + 1].contains("GFLOP/s"), r.stdout)
    // LeNet is 7 steps; the first is its first convolution, on the whole batch.
    let steps = lines[(header + 2)...].prefix { !$0.hasPrefix("total:") }
    XCTAssertEqual(steps.count, 7, r.stdout)
    let first = try XCTUnwrap(steps.first)
    XCTAssertTrue(first.hasPrefix("   0  ") && first.contains("conv ") && first.contains("2x1x28x28 -> 2x6x"), first)
    XCTAssertTrue(lines.contains { $0.hasPrefix("total: ") && $0.contains("over 7 steps") && $0.contains("GFLOP/s") }, r.stdout)
    let top = try XCTUnwrap(lines.firstIndex(of: "top 5 steps:"), r.stdout)
    XCTAssertEqual(lines.count - top - 1, 5, r.stdout)
  }

  func testProfileJSONAndTheChromeTrace() throws {
    let (plan, input) = try lenet()
    let trace = path("trace.json")
    let r = try CLI.run("graphrun", [plan, input, "--json", "--bench", "3", "--threads", "2", "--profile-json", trace])
    XCTAssertEqual(r.status, 0, r.stderr)

    let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let profile = try XCTUnwrap(report["profile"] as? [String: Any], "--profile-json implies --profile")
    XCTAssertEqual(profile["runs"] as? Int, 3)
    XCTAssertEqual(profile["threads"] as? Int, 2)
    let steps = try XCTUnwrap(profile["steps"] as? [[String: Any]])
    XCTAssertEqual(steps.count, 7)
    let conv = steps[0]
    XCTAssertEqual(conv["kind"] as? String, "conv")
    XCTAssertEqual((conv["input_shapes"] as? [[Int]])?.first, [2, 1, 28, 28])
    // 2·M·C·KH·KW·OH·OW per item, times the batch.
    let out = try XCTUnwrap(conv["output_shape"] as? [Int])
    XCTAssertEqual(conv["flops"] as? Int, 2 * 2 * out[1] * 1 * 5 * 5 * out[2] * out[3])
    let percent = steps.compactMap { $0["percent"] as? Double }.reduce(0, +)
    XCTAssertEqual(percent, 100, accuracy: 0.01)

    let object = try JSONSerialization.jsonObject(with: try XCTUnwrap(FileManager.default.contents(atPath: trace)))
    let events = try XCTUnwrap((object as? [String: Any])?["traceEvents"] as? [[String: Any]])
    XCTAssertEqual(events.count, 3 * (1 + 7), "a model_run event and one per step, per run")
    for event in events {
      for key in ["name", "cat", "ph", "ts", "dur", "pid", "tid", "args"] { XCTAssertNotNil(event[key], key) }
      XCTAssertEqual(event["ph"] as? String, "X")
    }
    XCTAssertEqual(events.filter { $0["cat"] as? String == "Session" }.count, 3)
    let nodes = events.filter { $0["cat"] as? String == "Node" }
    XCTAssertEqual((nodes.first?["args"] as? [String: Any])?["op_name"] as? String, "conv")
    XCTAssertEqual(nodes.map { $0["name"] as? String }.prefix(7), steps.map { $0["name"] as? String }[...])
  }

  func testAnUnwritableTraceIsAnError() throws {
    let (plan, input) = try lenet()
    let r = try CLI.run("graphrun", [plan, input, "--profile-json", "/nonexistent-folder/trace.json"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("/nonexistent-folder/trace.json"), r.stderr)
  }
}
