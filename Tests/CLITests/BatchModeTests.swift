import Foundation
import GraphIR
import GraphRuntime
import XCTest

/// `graphrun PLAN INPUT... | --inputs DIR`: batches across files, one JSON line per input in order,
/// bad files reported and skipped, shards, totals.
final class BatchModeTests: XCTestCase {
  var directory: URL!
  var plan: String!
  var images: NPYArray!

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc") && CLI.isBuilt("graphrun"), "graphc/graphrun not built")
    directory = try CLI.temporaryDirectory("graphrun-batch")
    plan = path("lenet.plan")
    let r = try CLI.run("graphc", ["compile", CLI.lenet, "-o", plan])
    XCTAssertEqual(r.status, 0, r.stderr)
    images = try NPY.read(path: CLI.packageRoot.appendingPathComponent("Tests/Fixtures/digits/digits-test-images.npy").path)
  }

  override func tearDownWithError() throws {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  /// Images `range` of the digits fixture as one `.npy` file (shape [count, 1, 28, 28], or one item without the batch).
  func save(_ range: Range<Int>, _ name: String, itemOnly: Bool = false) throws -> String {
    let values = Array(images.data[(range.lowerBound * 784)..<(range.upperBound * 784)])
    try NPY.write(try NPYArray(shape: itemOnly ? [1, 28, 28] : [range.count, 1, 28, 28], data: values), path: path(name))
    return path(name)
  }

  /// What graphrun on the whole set says, one item at a time: the reference for the batched runs.
  func singleRunTop(_ file: String) throws -> [[Double]] {
    let r = try CLI.run("graphrun", [plan, file, "--json", "--top", "1", "--threads", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let top = try XCTUnwrap((json["outputs"] as? [[String: Any]])?.first?["top"] as? [[[Double]]])
    return top.map { $0[0] }
  }

  func lines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
  }

  func testBatchesAcrossFilesWithABadFileInTheMiddle() throws {
    // Five files: one item, a batch of 3, a bad file (a PNG), a batch of 5, one item without a batch dim.
    let inputs = path("inputs")
    try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
    let a = try save(0..<1, "inputs/a.npy"), b = try save(1..<4, "inputs/b.npy")
    FileManager.default.createFile(atPath: path("inputs/c.npy"), contents: Data([0x89, 0x50, 0x4E, 0x47] + [UInt8](repeating: 1, count: 99)))
    let d = try save(4..<9, "inputs/d.npy"), e = try save(9..<10, "inputs/e.npy", itemOnly: true)
    FileManager.default.createFile(atPath: path("inputs/notes.txt"), contents: Data("not an input".utf8))

    let r = try CLI.run("graphrun", [plan, "--inputs", inputs, "--batch-size", "4", "--top", "1", "-o", path("results.jsonl"), "--threads", "1"])
    XCTAssertEqual(r.status, 1, "a bad file makes the run fail at the end: \(r.stderr)")
    XCTAssertTrue(r.stderr.contains("error: \(path("inputs/c.npy")): 103 bytes") && r.stderr.contains("(skipped)"), r.stderr)
    XCTAssertTrue(r.stderr.contains("done: 4 inputs, 10 batch items in ") && r.stderr.contains("; 1 bad input skipped"), r.stderr)
    XCTAssertTrue(r.stderr.contains("progress: 5/5 inputs, 10 items"), "plain progress lines when stderr is not a terminal: \(r.stderr)")
    XCTAssertEqual(r.stdout, "", "the lines go to the file")

    let results = try lines(try String(contentsOfFile: path("results.jsonl"), encoding: .utf8))
    XCTAssertEqual(results.map { $0["file"] as? String }, [a, b, path("inputs/c.npy"), d, e], "every input once, in order")
    XCTAssertEqual(results.map { $0["items"] as? Int }, [1, 3, nil, 5, 1])
    XCTAssertTrue((results[2]["error"] as? String)?.contains("PNG image") == true, "\(results[2])")
    // Batched across files (4 items at a time) gives what one run over all ten images gives.
    let reference = try singleRunTop(try save(0..<10, "all.npy"))
    let batched = results.filter { $0["error"] == nil }.flatMap { line -> [[Double]] in
      let top = (line["outputs"] as? [[String: Any]])?.first?["top"] as? [[[Double]]] ?? []
      return top.map { $0[0] }
    }
    XCTAssertEqual(batched.count, 10)
    for (x, y) in zip(batched, reference) {
      XCTAssertEqual(x[0], y[0], "class")
      XCTAssertEqual(x[1], y[1], accuracy: 1e-5, "probability")
    }
  }

  func testShardsSplitTheInputsAndOutputsDirectory() throws {
    let files = try (0..<5).map { try save($0..<($0 + 1), "in\($0).npy") }
    var seen: [String] = []
    for i in 0..<2 {
      let r = try CLI.run("graphrun", [plan] + files + ["--shard", "\(i)/2", "--quiet", "--top", "1"])
      XCTAssertEqual(r.status, 0, r.stderr)
      XCTAssertEqual(r.stderr, "", "--quiet prints nothing when all goes well")
      seen += try lines(r.stdout).compactMap { $0["file"] as? String }
    }
    XCTAssertEqual(seen, [files[0], files[2], files[4], files[1], files[3]])

    try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
    let r = try CLI.run("graphrun", [plan, files[0], files[1], "--outputs-dir", path("out"), "--quiet"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(try NPY.read(path: path("out/in1.npy")).shape, [1, 10])

    try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
    let empty = try CLI.run("graphrun", [plan, "--inputs", path("empty")])
    XCTAssertEqual(empty.status, 1)
    XCTAssertTrue(empty.stderr.contains("empty: holds no .npy or .bin files to run"), empty.stderr)

    for (args, message) in [
      (["--shard", "2/2"], "--shard"), (["--batch-size", "0"], "--batch-size must be 1 or more"),
      (["--bench", "3"], "batch mode reports its own throughput"), (["-o", path("x.npy")], "FILE.jsonl"),
    ] {
      let bad = try CLI.run("graphrun", [plan] + files + args)
      XCTAssertNotEqual(bad.status, 0, "\(args)")
      XCTAssertTrue(bad.stderr.contains(message), "\(args): \(bad.stderr)")
    }
  }

  func testAFixedBatchPlanPadsTheLastBatch() throws {
    XCTAssertEqual(try CLI.run("graphc", ["compile", CLI.lenet, "-o", path("b4.plan"), "--batch", "4"]).status, 0)
    let files = try (0..<3).map { try save(($0 * 2)..<($0 * 2 + 2), "pair\($0).npy") }
    let r = try CLI.run("graphrun", [path("b4.plan")] + files + ["--top", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("done: 3 inputs, 6 batch items") && r.stderr.contains("batch 4"), r.stderr)
    let reference = try singleRunTop(try save(0..<6, "six.npy"))
    let classes = try lines(r.stdout).flatMap { ($0["outputs"] as? [[String: Any]])?.first?["top"] as? [[[Double]]] ?? [] }.map { $0[0][0] }
    XCTAssertEqual(classes, reference.map { $0[0] })
    let wrong = try CLI.run("graphrun", [path("b4.plan")] + files + ["--batch-size", "2"])
    XCTAssertTrue(wrong.stderr.contains("--batch-size must be 4"), wrong.stderr)
  }

  /// A `.npy` of no items gets its line, in its place, with outputs of no items (and under
  /// `--outputs-dir` a `.npy` of shape `[0, 10]`): it used to get none, and every later file's
  /// line waited for it.
  func testAFileOfNoItemsHasItsLineInPlace() throws {
    let first = try save(0..<2, "first.npy"), last = try save(2..<3, "last.npy")
    try NPY.write(try NPYArray(shape: [0, 1, 28, 28], data: []), path: path("empty.npy"))
    let outputs = path("no-items-out")
    try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
    let r = try CLI.run(
      "graphrun", [plan, first, path("empty.npy"), last, "--top", "1", "--threads", "1", "--outputs-dir", outputs])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("done: 3 inputs, 3 batch items"), r.stderr)
    let out = try lines(r.stdout)
    XCTAssertEqual(out.map { $0["file"] as? String }, [first, path("empty.npy"), last])
    XCTAssertEqual(out.map { $0["items"] as? Int }, [2, 0, 1])
    let empty = try XCTUnwrap((out[1]["outputs"] as? [[String: Any]])?.first)
    XCTAssertEqual(empty["shape"] as? [Int], [0, 10])
    XCTAssertEqual((empty["top"] as? [Any])?.count, 0)
    let written = try NPY.read(path: outputs + "/empty.npy")
    XCTAssertEqual(written.shape, [0, 10])
    XCTAssertEqual(try NPY.read(path: outputs + "/last.npy").shape, [1, 10], "the file after it is written too")
  }

  /// A plan with a bool output: each file's line and `.npy` keep the type, and items batched
  /// across files land in their own file's output (files of 1, 3, 2 and 5 items in batches of 4).
  func testBoolOutputsKeepTheirTypeAcrossBatches() throws {
    let b = GraphBuilder(name: "typed")
    let x = b.input("x", [.symbol("N"), 4])
    b.output(b.node("Greater", name: "positive", inputs: [x, b.constant("zero", Tensor(scalar: 0))]))
    b.output(b.node("Relu", name: "y", inputs: [x]))
    try ONNXWriter.write(Model(graph: b.build(), opsetImports: ["": 13]), to: path("typed.onnx"))
    XCTAssertEqual(try CLI.run("graphc", ["compile", path("typed.onnx"), "-o", path("typed.plan")]).status, 0)
    var values: [[Float]] = []
    for (i, items) in [1, 3, 2, 5].enumerated() {
      values.append((0..<(items * 4)).map { Float(($0 * 7 + i * 3) % 11) - 5 })
      try NPY.write(try NPYArray(shape: [items, 4], data: values[i]), path: path("in\(i).npy"))
    }
    let outputs = path("outputs")
    try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
    let r = try CLI.run(
      "graphrun", [path("typed.plan")] + (0..<4).map { path("in\($0).npy") } + ["--batch-size", "4", "--outputs-dir", outputs])
    XCTAssertEqual(r.status, 0, r.stderr)
    for (i, line) in try lines(r.stdout).enumerated() {
      let positive = try XCTUnwrap((line["outputs"] as? [[String: Any]])?.first { $0["name"] as? String == "positive" })
      XCTAssertEqual(positive["dtype"] as? String, "bool")
      XCTAssertEqual(positive["values"] as? [Bool], values[i].map { $0 > 0 }, "file \(i)")
      let npy = try XCTUnwrap(FileManager.default.contents(atPath: "\(outputs)/in\(i).positive.npy"))
      XCTAssertTrue(String(decoding: npy.prefix(64), as: UTF8.self).contains("'descr': '|b1'"))
      XCTAssertEqual(Array(npy.suffix(values[i].count)), values[i].map { $0 > 0 ? 1 : 0 }, "file \(i)")
      let relu = try NPY.read(path: "\(outputs)/in\(i).y.npy")
      XCTAssertEqual(relu.data, values[i].map { max($0, 0) }, "file \(i)")
    }
  }
}
