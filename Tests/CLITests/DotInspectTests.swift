import Foundation
import GraphRuntime
import XCTest

/// `graphc dot` and `graphc inspect`, run as a user would.
final class DotInspectTests: XCTestCase {
  static var lenet: String { CLI.lenet }

  var directory: URL!

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc"), "graphc not built at \(CLI.binary("graphc"))")
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("graphc-dot-inspect-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func run(_ arguments: [String]) throws -> CLI.Result { try CLI.run("graphc", arguments) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  /// Compiles LeNet into the temporary directory.
  func compiledPlan() throws -> String {
    let plan = path("lenet.plan")
    let r = try run(["compile", Self.lenet, "-o", plan])
    XCTAssertEqual(r.status, 0, r.stderr)
    return plan
  }

  func testDotOfModelHasEveryNodeAndShapes() throws {
    let r = try run(["dot", Self.lenet])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.hasPrefix("digraph "))
    for node in ["/conv1/Conv", "/Relu", "/MaxPool", "/conv2/Conv", "/Relu_1", "/MaxPool_1", "/Flatten",
                 "/fc1/Gemm", "/Relu_2", "/fc2/Gemm", "/Relu_3", "/fc3/Gemm"] {
      XCTAssertTrue(r.stdout.contains("\\n\(node)\"") || r.stdout.contains("\\n\(node)\\n"), "missing node \(node)")
    }
    XCTAssertTrue(r.stdout.contains("label=\"image\\nbatchx1x28x28\""))
    XCTAssertTrue(r.stdout.contains("label=\" batchx6x28x28\""))
    XCTAssertTrue(r.stdout.contains("label=\"logits\\nbatchx10\""))
    XCTAssertTrue(r.stdout.hasSuffix("}\n"))
    // Deterministic, and -o writes the same text.
    let again = try run(["dot", Self.lenet, "-o", path("lenet.dot")])
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertEqual(try String(contentsOfFile: path("lenet.dot"), encoding: .utf8), r.stdout)
  }

  func testDotOfPlanShowsStepsAndArenaOffsets() throws {
    let plan = try compiledPlan()
    let r = try run(["dot", plan])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.hasPrefix("digraph "))
    XCTAssertTrue(r.stdout.contains("conv 5x5/1 pad 2 1→6 packed shifted relu"), r.stdout)
    XCTAssertTrue(r.stdout.contains("/conv1/Conv + /Relu"))
    XCTAssertTrue(r.stdout.contains("dense 84→10"))
    XCTAssertEqual(r.stdout.components(separatedBy: "shape=box").count - 1, 7)
    XCTAssertTrue(r.stdout.contains("i0 -> s0"))
    XCTAssertTrue(r.stdout.contains("s6 -> o0"))
    XCTAssertTrue(r.stdout.contains("(18,816 B)"), "conv1's output is 6x28x28 floats")
  }

  func testInspectJSONReportsThePlan() throws {
    let plan = try compiledPlan()
    let r = try run(["inspect", plan, "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(json["step_count"] as? Int, 7)
    XCTAssertEqual((json["steps"] as? [Any])?.count, 7)
    XCTAssertEqual(json["format_version"] as? Int, 10)
    // The plan records who compiled it from what: the model's file name and SHA-256 (checked by a second digest here).
    let provenance = try XCTUnwrap(json["provenance"] as? [String: String])
    XCTAssertEqual(provenance["compiler_version"], GraphcVersion.current)
    XCTAssertEqual(provenance["model_file"], "lenet-digits.onnx")
    XCTAssertEqual(provenance["model_sha256"], "d86106436674dddd272b9631fbfb30593ef729cf544f0be17d4c0f8e509de5dc")
    XCTAssertEqual(json["version"] as? String, GraphcVersion.current)
    let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: plan)[.size] as? NSNumber)
    XCTAssertEqual(json["file_bytes"] as? Int, size.intValue)
    XCTAssertTrue(json["batch"] is NSNull)
    XCTAssertEqual(json["kernels"] as? [String: Int], ["conv": 2, "pool": 2, "dense": 3])
    let arenaFloats = try XCTUnwrap(json["arena_floats_per_item"] as? Int)
    XCTAssertEqual(json["arena_bytes_per_item"] as? Int, arenaFloats * 4)
    let inputs = try XCTUnwrap(json["inputs"] as? [[String: Any]])
    XCTAssertEqual(inputs.first?["name"] as? String, "image")
    XCTAssertEqual((inputs.first?["view"] as? [String: Any])?["dims"] as? [Int], [1, 28, 28])
    let first = try XCTUnwrap((json["steps"] as? [[String: Any]])?.first)
    XCTAssertEqual(first["kind"] as? String, "conv")
    XCTAssertEqual(first["absorbed"] as? [String], ["/conv1/Conv", "/Relu"])

    let text = try run(["inspect", plan])
    XCTAssertEqual(text.status, 0, text.stderr)
    XCTAssertTrue(text.stdout.contains("7: 2 conv, 2 pool, 3 dense"))
    XCTAssertTrue(text.stdout.contains("symbolic"))
    XCTAssertTrue(text.stdout.contains("source    lenet-digits.onnx (sha256 d8610643"), text.stdout)
    XCTAssertTrue(text.stdout.contains("compiled by graphc \(GraphcVersion.current)"), text.stdout)
  }

  func testInspectDrawsTheArena() throws {
    let plan = try compiledPlan()
    let svg = path("memory.svg")
    let r = try run(["inspect", plan, "--svg", svg])
    XCTAssertEqual(r.status, 0, r.stderr)
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    XCTAssertTrue(text.hasPrefix("<svg"))
    XCTAssertTrue(text.hasSuffix("</svg>\n"))
    XCTAssertTrue(text.contains("<title>/conv1/Conv"))
    XCTAssertTrue(text.contains("stroke-dasharray"))
    XCTAssertGreaterThanOrEqual(text.components(separatedBy: "<title>").count - 1, 7)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp") }
    XCTAssertEqual(leftovers, [])
  }

  func testErrorsExitNonZeroWithAMessage() throws {
    let plan = try compiledPlan()
    // Flip one byte of the steps; the checksum catches it.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: plan))
    bytes[200] ^= 0xFF
    try bytes.write(to: URL(fileURLWithPath: path("corrupt.plan")))
    try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path("short.plan")))
    try Data("hello".utf8).write(to: URL(fileURLWithPath: path("hello.onnx")))

    let cases: [([String], String)] = [
      (["dot", path("missing.onnx")], "no such file"),
      (["inspect", path("missing.plan")], "no such file"),
      (["inspect", Self.lenet], "not a plan file"),
      (["inspect", path("corrupt.plan")], "checksum"),
      (["dot", path("corrupt.plan")], "checksum"),
      (["inspect", path("short.plan")], "truncated"),
      (["dot", path("hello.onnx")], "hello.onnx"),
      (["dot", directory.path], "directory"),
      (["inspect", plan, "--svg", path("no/such/dir/m.svg")], "cannot write"),
    ]
    for (arguments, message) in cases {
      let r = try run(arguments)
      XCTAssertEqual(r.status, 1, "\(arguments): \(r.stdout)")
      XCTAssertTrue(r.stderr.contains(message), "\(arguments): stderr \(r.stderr)")
      XCTAssertFalse(r.stderr.contains("Fatal error"), "\(arguments) crashed")
    }
  }
}
