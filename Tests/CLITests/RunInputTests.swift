import Foundation
import GraphIR
import GraphRuntime
import XCTest

/// What graphrun accepts as input and how it says what it expected: content sniffing, dtype
/// conversion, named inputs, labels, defaults and the messages a new user meets first.
final class RunInputTests: XCTestCase {
  var directory: URL!
  var plan: String!

  override func setUpWithError() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc") && CLI.isBuilt("graphrun"), "graphc/graphrun not built")
    directory = try CLI.temporaryDirectory("graphrun-inputs")
    plan = path("lenet.plan")
    let r = try CLI.run("graphc", ["compile", CLI.lenet, "-o", plan])
    XCTAssertEqual(r.status, 0, r.stderr)
  }

  override func tearDownWithError() throws {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
  func graphrun(_ args: [String]) throws -> CLI.Result { try CLI.run("graphrun", args) }
  var digit: NPYArray { get throws { try NPY.read(path: CLI.packageRoot.appendingPathComponent("Graphs/samples/digit-7.npy").path) } }

  /// An `.npy` file of `descr` elements, written by hand so any dtype can be made.
  func writeNPY(_ name: String, descr: String, shape: [Int], elements: [UInt8]) -> String {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    let length = header.utf8.count + 1
    let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + [0x0A] + elements
    FileManager.default.createFile(atPath: path(name), contents: Data(bytes))
    return path(name)
  }

  func testContentNotNameDecidesWhatAFileIs() throws {
    // An .npy file named .bin is read as .npy; raw float32 named .npy is read as raw.
    try NPY.write(try digit, path: path("digit.bin"))
    var r = try graphrun([plan, path("digit.bin"), "--top", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("[0] 7 ("), r.stdout)
    try RawFloat32.write(try digit.data, path: path("raw.npy"))
    r = try graphrun([plan, path("raw.npy"), "--top", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("[0] 7 ("), r.stdout)

    // A PNG is neither: the error names the file, its size, what was expected and what it looks like.
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 1270)
    FileManager.default.createFile(atPath: path("digit.png"), contents: Data(png))
    r = try graphrun([plan, path("digit.png")])
    XCTAssertEqual(r.status, 1)
    for part in [path("digit.png"), "1278 bytes", "[N, 1, 28, 28] float32", "3136 bytes", "PNG image"] {
      XCTAssertTrue(r.stderr.contains(part), "\(part) in: \(r.stderr)")
    }
    r = try graphrun([plan, path("missing.npy")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("missing.npy: no such file"), r.stderr)
  }

  func testOtherNPYTypesAreConvertedWithANote() throws {
    let values = try digit.data
    func bytes<T: FixedWidthInteger>(_ convert: (Float) -> T) -> [UInt8] {
      values.flatMap { v in withUnsafeBytes(of: convert(v).littleEndian, Array.init) }
    }
    let files: [(String, String, [UInt8])] = [
      ("f8", "<f8", bytes { Double($0).bitPattern }),
      ("f2", "<f2", bytes { Float16Bits.from($0) }),
      ("i8", "<i8", bytes { Int64(($0 * 100).rounded()) }),
      ("u1", "|u1", bytes { UInt8((max(0, $0) * 255).rounded()) }),
    ]
    for (name, descr, elements) in files {
      let file = writeNPY("\(name).npy", descr: descr, shape: [1, 1, 28, 28], elements: elements)
      let r = try graphrun([plan, file, "--top", "1", "-o", path("\(name)-out.npy")])
      XCTAssertEqual(r.status, 0, r.stderr)
      XCTAssertTrue(r.stderr.contains("note: \(file):") && r.stderr.contains("converted to float32"), r.stderr)
    }
    // float64 and float16 of values that float16 holds exactly give float32's very outputs.
    let reference = try graphrun([plan, try { try NPY.write(try digit, path: path("f4.npy")); return path("f4.npy") }(), "-o", path("f4-out.npy")])
    XCTAssertEqual(reference.status, 0, reference.stderr)
    XCTAssertTrue(reference.stderr.isEmpty, "float32 needs no note: \(reference.stderr)")
    XCTAssertEqual(try NPY.read(path: path("f8-out.npy")), try NPY.read(path: path("f4-out.npy")))
  }

  func testSeveralInputsByName() throws {
    let b = GraphBuilder(name: "two")
    let x = b.input("x", [.symbol("N"), 3])
    let y = b.input("y", [.symbol("N"), 3])
    b.output(b.node("Sub", name: "diff", inputs: [x, y]))
    try ONNXWriter.write(Model(graph: b.build()), to: path("two.onnx"))
    XCTAssertEqual(try CLI.run("graphc", ["compile", path("two.onnx"), "-o", path("two.plan")]).status, 0)
    try RawFloat32.write([10, 20, 30], path: path("x.bin"))
    try NPY.write(try NPYArray(shape: [1, 3], data: [1, 2, 3]), path: path("y.npy"))

    var r = try graphrun([path("two.plan"), "--input", "y=\(path("y.npy"))", "--input", "x=\(path("x.bin"))", "-o", path("d.npy")])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(try NPY.read(path: path("d.npy")).data, [9, 18, 27])

    r = try graphrun([path("two.plan"), path("x.bin")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("2 inputs ('x', 'y')") && r.stderr.contains("--input NAME=FILE"), r.stderr)
    r = try graphrun([path("two.plan"), "--input", "x=\(path("x.bin"))"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("missing --input y=FILE ([N, 3] float32)"), r.stderr)
    r = try graphrun([path("two.plan"), "--input", "z=\(path("x.bin"))", "--input", "y=\(path("y.npy"))"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("no input 'z'; its inputs are 'x', 'y'"), r.stderr)
    r = try graphrun([path("two.plan"), "--input", "x\(path("x.bin"))"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("is not NAME=FILE"), r.stderr)
  }

  func testLabelsVersionThreadsAndOptionMessages() throws {
    try NPY.write(try digit, path: path("seven.npy"))
    let names = (0..<10).map { "digit \($0)" }
    FileManager.default.createFile(atPath: path("labels.txt"), contents: Data(names.joined(separator: "\n").utf8))
    var r = try graphrun([plan, path("seven.npy"), "--top", "2", "--labels", path("labels.txt")])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("[0] 7 digit 7 (1.0000), "), r.stdout)
    r = try graphrun([plan, path("seven.npy"), "--top", "1", "--labels", path("labels.txt"), "--json"])
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    XCTAssertEqual((json["outputs"] as? [[String: Any]])?.first?["top_labels"] as? [[String]], [["digit 7"]])
    XCTAssertEqual(json["version"] as? String, GraphcVersion.current)
    let source = try XCTUnwrap(json["plan"] as? [String: String])
    XCTAssertEqual(source["model_file"], "lenet-digits.onnx")
    XCTAssertEqual(source["model_sha256"]?.count, 64)
    XCTAssertEqual(json["threads"] as? Int, Session.availableCores, "--threads defaults to the cores this process may use")

    FileManager.default.createFile(atPath: path("nine.txt"), contents: Data(names.prefix(9).joined(separator: "\n").utf8))
    r = try graphrun([plan, path("seven.npy"), "--labels", path("nine.txt")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("9 class names, but output 'logits' has 10 classes"), r.stderr)

    for tool in ["graphrun", "graphc"] {
      r = try CLI.run(tool, ["--version"])
      XCTAssertEqual(r.status, 0)
      XCTAssertEqual(r.stdout, GraphcVersion.current + "\n")
    }
    r = try graphrun([plan, path("seven.npy"), "--top", "-1"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("--top must be 0 or more") && !r.stderr.contains("Missing value"), r.stderr)
    r = try graphrun([plan, path("seven.npy"), "--threads", "0"])
    XCTAssertTrue(r.stderr.contains("--threads must be between 1 and 256, got 0"), r.stderr)
  }

  func testFixedBatchMessageCountsItems() throws {
    XCTAssertEqual(try CLI.run("graphc", ["compile", CLI.lenet, "-o", path("b2.plan"), "--batch", "2"]).status, 0)
    try NPY.write(try digit, path: path("seven.npy"))
    let r = try graphrun([path("b2.plan"), path("seven.npy")])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("holds 1 batch item, the plan was compiled for batch 2"), r.stderr)
  }
}

/// float32 → IEEE binary16 bits for values float16 holds exactly (the digit's pixels are k/255
/// rounded to float32, so this test rounds them to float16 on the way, as numpy would).
enum Float16Bits {
  static func from(_ v: Float) -> UInt16 {
    if v == 0 { return v.sign == .minus ? 0x8000 : 0 }
    let bits = v.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
    precondition(exponent > 0 && exponent < 31, "test values are normal in float16")
    let mantissa = ((bits & 0x7F_FFFF) + 0x1000) >> 13  // round half up to 10 bits; 0x400 carries into the exponent
    return sign | ((UInt16(exponent) << 10) + UInt16(mantissa))
  }
}
