import Foundation
import GraphIR
import GraphRuntime
import XCTest

/// `graphc compile` and `graphrun` end to end, including how they fail.
final class CompileRunCommandTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc") && CLI.isBuilt("graphrun"), "graphc/graphrun not built")
    directory = try CLI.temporaryDirectory("graphc-compile-run")
  }

  override func tearDownWithError() throws {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
  func graphc(_ args: [String]) throws -> CLI.Result { try CLI.run("graphc", args) }
  func graphrun(_ args: [String]) throws -> CLI.Result { try CLI.run("graphrun", args) }

  func compileLeNet(_ name: String = "lenet.plan") throws -> String {
    let plan = path(name)
    let r = try graphc(["compile", CLI.lenet, "-o", plan])
    XCTAssertEqual(r.status, 0, r.stderr)
    return plan
  }

  func saveDigit(_ name: String) throws -> String {
    let images = try NPY.read(path: CLI.packageRoot.appendingPathComponent("Graphs/samples/digit-7.npy").path)
    try NPY.write(images, path: path(name))
    return path(name)
  }

  func testSameModelGivesTheSameBytes() throws {
    let a = try compileLeNet("a.plan"), b = try compileLeNet("b.plan")
    XCTAssertEqual(FileManager.default.contents(atPath: a), FileManager.default.contents(atPath: b))
  }

  func testCompileJSONReport() throws {
    let r = try graphc(["compile", CLI.lenet, "-o", path("l.plan"), "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    for key in ["nodes_in", "steps", "batchnorm_folded", "fused", "concat_in_place", "copy_bytes", "arena_bytes",
                "lower_bound_bytes", "naive_bytes", "weights_bytes"] {
      XCTAssertNotNil(json[key], key)
    }
    XCTAssertEqual(json["steps"] as? Int, 7)
    XCTAssertEqual((json["fused"] as? [String: Int])?["conv_relu"], 2)
  }

  /// `--no-winograd` keeps ResNet-18's 3x3 convs on im2col + GEMM; the default runs them as Winograd.
  func testNoWinogradFlagReachesTheReport() throws {
    let graph = CLI.packageRoot.appendingPathComponent("Graphs/resnet18.graph").path
    for (flags, winograd) in [([String](), true), (["--no-winograd"], false)] {
      let r = try graphc(["compile", graph, "-o", path("r.plan"), "--json"] + flags)
      XCTAssertEqual(r.status, 0, r.stderr)
      let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      let algorithms = try XCTUnwrap(json["conv_algorithms"] as? [String: Int])
      XCTAssertEqual(algorithms.keys.contains { $0.hasPrefix("Winograd") }, winograd, "\(algorithms)")
      XCTAssertEqual(algorithms["im2col + GEMM (Winograd turned off)"] != nil, !winograd, "\(algorithms)")
    }
  }

  func testClassifiesTheBundledDigit() throws {
    let plan = try compileLeNet()
    let r = try graphrun([plan, try saveDigit("seven.npy"), "--top", "3"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("[0] 7 ("), r.stdout)

    let j = try graphrun([plan, path("seven.npy"), "--json", "--bench", "3", "-o", path("out.npy")])
    XCTAssertEqual(j.status, 0, j.stderr)
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
    let outputs = try XCTUnwrap(json["outputs"] as? [[String: Any]])
    XCTAssertEqual(outputs.first?["name"] as? String, "logits")
    XCTAssertEqual(outputs.first?["shape"] as? [Int], [1, 10])
    XCTAssertEqual(((outputs.first?["top"] as? [[[Double]]])?.first?.first?.first).map(Int.init), 7)
    let bench = try XCTUnwrap(json["bench"] as? [String: Any])
    XCTAssertEqual(bench["runs"] as? Int, 3)
    for key in ["min_ms", "median_ms", "p90_ms"] { XCTAssertNotNil(bench[key], key) }
    XCTAssertEqual(try NPY.read(path: path("out.npy")).shape, [1, 10])
  }

  func testCompileErrorsNameTheProblemAndLeaveNoPlan() throws {
    var r = try graphc(["compile", CLI.lenet, "-o", path("x.plan"), "--batch", "0"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("--batch"), r.stderr)

    r = try graphc(["compile", CLI.lenet, "-o", "/nonexistent-folder/x.plan"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("/nonexistent-folder/x.plan"), r.stderr)

    // Never over the input model.
    let copy = path("model.onnx")
    try FileManager.default.copyItem(atPath: CLI.lenet, toPath: copy)
    r = try graphc(["compile", copy, "-o", copy])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(FileManager.default.contents(atPath: copy), FileManager.default.contents(atPath: CLI.lenet))

    // Unsupported ops are all listed, and a weight that is not a constant names its node.
    let b = GraphBuilder(name: "bad")
    let x = b.input("x", [.symbol("N"), 3, 8, 8])
    let w = b.input("w", [4, 3, 3, 3])
    let y = b.node("Conv", name: "conv", inputs: [x, w])
    b.output(y)
    try ONNXWriter.write(Model(graph: b.build()), to: path("runtime-weight.onnx"))
    r = try graphc(["compile", path("runtime-weight.onnx"), "-o", path("y.plan")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("Conv: input 1 ('w') must be a constant") && r.stderr.contains("(node 'conv')"), r.stderr)

    let u = GraphBuilder(name: "unknown")
    let ux = u.input("x", [.symbol("N"), 4])
    let a = u.node("FancyOp", name: "fancy", inputs: [ux])
    u.output(u.node("OtherOp", name: "other", inputs: [a]))
    try ONNXWriter.write(Model(graph: u.build()), to: path("unknown.onnx"))
    r = try graphc(["compile", path("unknown.onnx"), "-o", path("z.plan")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("unsupported ops: FancyOp (node 'fancy'), OtherOp (node 'other')"), r.stderr)

    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".plan") || $0.contains(".tmp-") }
    XCTAssertEqual(leftovers, [], "no plan or temporary file may be left behind")
  }

  /// No command writes over a file it reads, and a device named as output stays a device.
  func testOutputsNeverDestroyInputs() throws {
    let plan = try compileLeNet()
    let digit = try saveDigit("seven.npy")
    let before = try XCTUnwrap(FileManager.default.contents(atPath: digit))
    for target in [digit, plan] {
      let r = try graphrun([plan, digit, "-o", target])
      XCTAssertEqual(r.status, 1, target)
      XCTAssertTrue(r.stderr.contains("refusing to write an output over"), r.stderr)
    }
    XCTAssertEqual(FileManager.default.contents(atPath: digit), before, "the input is untouched")
    XCTAssertEqual(try graphrun([plan, digit]).status, 0, "the plan is untouched")

    // The model's external weights are protected like the model itself.
    let b = GraphBuilder(name: "ext")
    let x = b.input("x", [.symbol("N"), 64])
    let w = b.constant("w", Tensor(floats: [Float](repeating: 0.5, count: 64 * 64), dims: [64, 64]))
    b.output(b.node("MatMul", name: "mm", inputs: [x, w]))
    try ONNXWriter.write(Model(graph: b.build()), to: path("ext.onnx"), externalData: "ext.weights")
    let weights = try XCTUnwrap(FileManager.default.contents(atPath: path("ext.weights")))
    var r = try graphc(["compile", path("ext.onnx"), "-o", path("ext.weights")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("external data"), r.stderr)
    XCTAssertEqual(FileManager.default.contents(atPath: path("ext.weights")), weights)

    r = try graphc(["compile", CLI.lenet, "-o", "/dev/null"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
    XCTAssertEqual(type, .typeCharacterSpecial, "/dev/null stays a device")
  }

  /// A model that ends in Softmax already prints probabilities: --top must not apply softmax again.
  func testTopDoesNotSoftmaxASoftmax() throws {
    let b = GraphBuilder(name: "probs")
    let x = b.input("x", [.symbol("N"), 4])
    b.output(b.node("Softmax", name: "probs", inputs: [b.node("Relu", name: "relu", inputs: [x])], attributes: ["axis": .int(-1)]))
    try ONNXWriter.write(Model(graph: b.build()), to: path("probs.onnx"))
    XCTAssertEqual(try graphc(["compile", path("probs.onnx"), "-o", path("probs.plan")]).status, 0)
    try RawFloat32.write([1, 2, 3, 4], path: path("x.bin"))
    var r = try graphrun([path("probs.plan"), path("x.bin"), "--top", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("(the output's values)") && r.stdout.contains("[0] 3 (0.6439)"), r.stdout)
    r = try graphrun([path("probs.plan"), path("x.bin"), "--top", "1", "--scores", "softmax"])
    XCTAssertTrue(r.stdout.contains("(softmax of the output)") && r.stdout.contains("[0] 3 (0.3"), r.stdout)
    // A classifier ending in logits still gets softmax by default.
    r = try graphrun([try compileLeNet(), try saveDigit("seven.npy"), "--top", "1"])
    XCTAssertTrue(r.stdout.contains("(softmax of the output)") && r.stdout.contains("[0] 7 (1.0000)"), r.stdout)
  }

  func testRunErrorsSayWhatWasExpected() throws {
    let plan = try compileLeNet()
    // Wrong size.
    try RawFloat32.write([Float](repeating: 0, count: 700), path: path("short.bin"))
    var r = try graphrun([plan, path("short.bin")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("784") && r.stderr.contains("bytes"), r.stderr)
    // A dtype .npy cannot hold for this runtime: complex64, written by hand.
    var header = "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1, 28, 28), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8((header.utf8.count + 1) & 0xFF), UInt8((header.utf8.count + 1) >> 8)]
    bytes += Array(header.utf8) + [0x0A] + [UInt8](repeating: 0, count: 784 * 8)
    FileManager.default.createFile(atPath: path("c8.npy"), contents: Data(bytes))
    r = try graphrun([plan, path("c8.npy")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("c8.npy") && r.stderr.contains("<c8") && r.stderr.contains("float64"), r.stderr)
    // Corrupted and truncated plans.
    var planBytes = try XCTUnwrap(FileManager.default.contents(atPath: plan))
    planBytes[planBytes.count / 2] ^= 0xFF
    FileManager.default.createFile(atPath: path("bad.plan"), contents: planBytes)
    r = try graphrun([path("bad.plan"), try saveDigit("seven.npy")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("checksum"), r.stderr)
    FileManager.default.createFile(atPath: path("short.plan"), contents: planBytes.prefix(100))
    r = try graphrun([path("short.plan"), path("seven.npy")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("short.plan"), r.stderr)
    r = try graphrun([CLI.lenet, path("seven.npy")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("not a plan"), r.stderr)
  }

  func testNaNInputsPropagateWithoutACrash() throws {
    let plan = try compileLeNet()
    var values = [Float](repeating: 0.5, count: 784)
    values[300] = .nan
    values[301] = .infinity
    try RawFloat32.write(values, path: path("nan.bin"))
    let r = try graphrun([plan, path("nan.bin"), "-o", path("nan-out.npy")])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(try NPY.read(path: path("nan-out.npy")).data.contains { $0.isNaN })
  }
}
