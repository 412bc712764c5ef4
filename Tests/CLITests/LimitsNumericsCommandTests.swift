import Foundation
import GraphIR
import GraphRuntime
import XCTest

/// graphc and graphrun against crafted files that declare huge sizes (`--max-memory`), and
/// graphrun on outputs that hold NaN (`--strict`).
final class LimitsNumericsCommandTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc") && CLI.isBuilt("graphrun"), "graphc/graphrun not built")
    directory = try CLI.temporaryDirectory("graphc-limits")
  }

  override func tearDownWithError() throws {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  func compileLeNet() throws -> String {
    let r = try CLI.run("graphc", ["compile", CLI.lenet, "-o", path("lenet.plan")])
    XCTAssertEqual(r.status, 0, r.stderr)
    return path("lenet.plan")
  }

  /// A digit with one NaN pixel (LeNet then gives NaN logits), and a clean one.
  func inputs() throws -> (nan: String, clean: String) {
    var values = [Float](repeating: 0.5, count: 784)
    try RawFloat32.write(values, path: path("clean.bin"))
    values[300] = .nan
    try RawFloat32.write(values, path: path("nan.bin"))
    return (path("nan.bin"), path("clean.bin"))
  }

  func testNaNOutputsWarnAndFailWithStrict() throws {
    let plan = try compileLeNet()
    let (nan, clean) = try inputs()
    var r = try CLI.run("graphrun", [plan, nan])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("warning: output 'logits' holds 10 NaN of 10 values"), r.stderr)
    r = try CLI.run("graphrun", [plan, nan, "--strict", "--json"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("holds 10 NaN"), r.stderr)
    // The results are still printed, as valid JSON: NaN scores are null and the output is flagged.
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    let output = try XCTUnwrap((json["outputs"] as? [[String: Any]])?.first)
    XCTAssertEqual(output["nonfinite"] as? [String: Int], ["nan": 10, "inf": 0])
    XCTAssertTrue(((output["top"] as? [[[Any]]])?.first?.first?[1]) is NSNull, "\(output)")
    r = try CLI.run("graphrun", [plan, clean, "--strict", "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertFalse(r.stdout.contains("nonfinite") || r.stderr.contains("warning"), r.stdout + r.stderr)
  }

  func testBatchModeFlagsNaNOutputsPerInput() throws {
    let plan = try compileLeNet()
    let (nan, clean) = try inputs()
    var r = try CLI.run("graphrun", [plan, clean, nan, "--quiet"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = r.stdout.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 2)
    XCTAssertFalse(lines[0].contains("nonfinite"), lines[0])
    XCTAssertTrue(lines[1].contains("\"nonfinite\":{\"inf\":0,\"nan\":10}"), lines[1])
    XCTAssertTrue(r.stderr.contains("warning: \(nan): output 'logits' holds 10 NaN"), r.stderr)
    r = try CLI.run("graphrun", [plan, clean, nan, "--strict"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("1 input with NaN or infinite outputs"), r.stderr)
  }

  /// A model of a few hundred bytes whose ConstantOfShape asks for 10^12 floats.
  func testConstantOfShapeBombIsRefusedByGraphc() throws {
    let b = GraphBuilder(name: "bomb")
    let dims = b.constant("dims", Tensor(int64s: [1_000_000, 1_000_000], dims: [2]))
    b.node("ConstantOfShape", name: "bomb", inputs: [dims])
    b.output("bomb")
    try ONNXWriter.write(Model(graph: b.build(), opsetImports: ["": 13]), to: path("bomb.onnx"))
    XCTAssertLessThan(try Data(contentsOf: URL(fileURLWithPath: path("bomb.onnx"))).count, 300)
    let r = try CLI.run("graphc", ["compile", path("bomb.onnx"), "-o", path("bomb.plan"), "--max-memory", "8G"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("node 'bomb' (ConstantOfShape): its output [1000000, 1000000] of float32, too large to compute at compile time, needs 4000000000000 bytes, over the max tensor bytes limit of 4294967296 bytes"), r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("bomb.plan")))
  }

  /// A conv with pads of 50,000 compiles; graphrun refuses its 40 GB arena when it creates the session.
  func testHugePadsAreRefusedByGraphrun() throws {
    let b = GraphBuilder(name: "pads")
    let x = b.input("x", [1, 1, 1, 1])
    let w = b.constant("w", Tensor(floats: [1], dims: [1, 1, 1, 1]))
    b.node("Conv", name: "conv", inputs: [x, w], attributes: ["kernel_shape": .ints([1, 1]), "pads": .ints([50_000, 50_000, 50_000, 50_000])])
    b.output("conv")
    try ONNXWriter.write(Model(graph: b.build(), opsetImports: ["": 13]), to: path("pads.onnx"))
    var r = try CLI.run("graphc", ["compile", path("pads.onnx"), "-o", path("pads.plan")])
    XCTAssertEqual(r.status, 0, r.stderr)
    try RawFloat32.write([1], path: path("one.bin"))
    r = try CLI.run("graphrun", [path("pads.plan"), path("one.bin"), "--max-memory", "16G"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.hasPrefix("error: the arena for batch 1 ("), r.stderr)
    XCTAssertTrue(r.stderr.contains("over the max arena + workspace bytes limit of 8589934592 bytes (raise it with --max-memory SIZE"), r.stderr)
  }

  /// A raw input over the tensor budget is refused before it is read (the arena at batch 1 fits).
  func testRawInputOverTheBudgetIsRefused() throws {
    let plan = try compileLeNet()
    let items = 5400  // 16.9 MB, over the 16 MiB tensor limit of --max-memory 32M
    try RawFloat32.write([Float](repeating: 0.5, count: 784 * items), path: path("many.bin"))
    let r = try CLI.run("graphrun", [plan, path("many.bin"), "--max-memory", "32M", "--top", "0"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertEqual(
      r.stderr, "error: \(path("many.bin")): \(784 * items) float32 values needs \(784 * items * 4) bytes, over the max tensor bytes limit of 16777216 bytes (raise it with --max-memory SIZE, or set Limits in code)\n")
  }

  func testMaxMemoryMustBeASize() throws {
    let r = try CLI.run("graphrun", [try compileLeNet(), path("x.bin"), "--max-memory", "lots"])
    XCTAssertEqual(r.status, 64, r.stderr)
    XCTAssertTrue(r.stderr.contains("--max-memory"), r.stderr)
  }
}
