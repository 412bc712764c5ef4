import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// Hardmax, DepthToSpace/SpaceToDepth, Mish, Shrink and the trigonometric ops (issue 9) on values
/// worked out by hand, through the compiled plan and the reference interpreter.
final class LayoutAndMathOpsTests: XCTestCase {
  /// `op` on `x` of `shape` (batch symbolic), compiled and by the reference interpreter.
  func run(_ op: String, _ x: [Float], _ shape: [Int], _ attributes: [String: Attribute] = [:], opset: Int = 13) throws
    -> (compiled: FloatTensor, reference: FloatTensor)
  {
    let g = TestGraph(op.lowercased())
    g.input("x", Shape(["N"] + shape.dropFirst().map { Dim.fixed($0) }))
    g.output(g.node(op, "out", ["x"], attributes))
    let model = g.model(opset: opset)
    let inputs = ["x": try FloatTensor(shape: shape, values: x)]
    let compiled = try Compile.run(try Pipeline.compile(model), inputs, threads: 1)["out"]!
    return (compiled, try ReferenceInterpreter.run(model, inputs: inputs)["out"]!)
  }

  func assertBoth(_ r: (compiled: FloatTensor, reference: FloatTensor), _ values: [Float], _ shape: [Int], _ what: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    for (t, path) in [(r.compiled, "compiled"), (r.reference, "reference")] {
      XCTAssertEqual(t.values, values, "\(what), \(path)", file: file, line: line)
      XCTAssertEqual(t.shape, shape, "\(what), \(path)", file: file, line: line)
    }
  }

  /// Eight channels of one pixel, x[c] = c, into 2x2 blocks of two channels: DCR reads block
  /// position (i, j) from channel (2i + j) * 2 + c, CRD from 4c + 2i + j.
  func testDepthToSpaceModes() throws {
    let x: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
    assertBoth(try run("DepthToSpace", x, [1, 8, 1, 1], ["blocksize": .int(2)]), [0, 2, 4, 6, 1, 3, 5, 7], [1, 2, 2, 2], "DCR")
    assertBoth(try run("DepthToSpace", x, [1, 8, 1, 1], ["blocksize": .int(2), "mode": .string("CRD")]), x, [1, 2, 2, 2], "CRD")
  }

  /// A 2x4 plane (rows 0-3, 4-7) into four channels of 1x2: channel 2i + j holds the pixels at
  /// (2h + i, 2w + j); two batch items; DepthToSpace (DCR) undoes it.
  func testSpaceToDepthAndBack() throws {
    let x: [Float] = [0, 1, 2, 3, 4, 5, 6, 7] + (10..<18).map(Float.init)
    let expected: [Float] = [0, 2, 1, 3, 4, 6, 5, 7]
    assertBoth(try run("SpaceToDepth", x, [2, 1, 2, 4], ["blocksize": .int(2)]), expected + expected.map { $0 + 10 }, [2, 4, 1, 2], "SpaceToDepth")
    let g = TestGraph("round_trip")
    g.input("x", ["N", 3, 4, 6])
    g.output(g.node("DepthToSpace", "back", [g.node("SpaceToDepth", "s2d", ["x"], ["blocksize": .int(2)])], ["blocksize": .int(2)]))
    let values = (0..<72).map(Float.init)
    XCTAssertEqual(try Compile.run(try Pipeline.compile(g.model()), ["x": try FloatTensor(shape: [1, 3, 4, 6], values: values)], threads: 1)["back"]?.values, values)
    let bad = TestGraph("bad_blocks")
    bad.input("x", ["N", 3, 4, 4])
    bad.output(bad.node("DepthToSpace", "d2s", ["x"], ["blocksize": .int(2)]))
    XCTAssertThrowsError(try Pipeline.compile(bad.model())) {
      XCTAssertTrue("\($0)".contains("d2s") && "\($0)".contains("channels 3 are not a multiple of blocksize² (4)"), "\($0)")
    }
  }

  /// The first largest value of each lane is 1: along the last axis, along the middle one (a
  /// transpose each way), and before opset 13 over each item flattened from axis 1.
  func testHardmax() throws {
    let x: [Float] = [1, 3, 3, -1, -5, -2]
    assertBoth(try run("Hardmax", x, [1, 2, 3]), [0, 1, 0, 1, 0, 0], [1, 2, 3], "axis -1")
    assertBoth(try run("Hardmax", x, [1, 2, 3], ["axis": .int(1)]), [1, 1, 1, 0, 0, 0], [1, 2, 3], "axis 1")
    assertBoth(try run("Hardmax", x, [1, 2, 3], opset: 11), [0, 1, 0, 0, 0, 0], [1, 2, 3], "opset 11, flattened")
  }

  func testMishShrinkAndTrigonometry() throws {
    let mish = try run("Mish", [0, 1, -1, 20, -20, 3.5], [1, 6], opset: 18)
    let want: [Float] = [0, 0.8650984, -0.30340147, 20, -4.122307e-8, 3.4939907]
    for (t, path) in [(mish.compiled, "compiled"), (mish.reference, "reference")] {
      for (got, w) in zip(t.values, want) { XCTAssertEqual(got, w, accuracy: 4e-7 * abs(w), "Mish \(path)") }
    }
    assertBoth(try run("Shrink", [-2, -1.5, 0, 1, 1.5, 2, 3], [1, 7], ["lambd": .float(1.5), "bias": .float(0.5)]),
               [-1.5, 0, 0, 0, 0, 1.5, 2.5], [1, 7], "Shrink")
    let half: [(String, Float)] = [
      ("Sin", 0.47942555), ("Cos", 0.87758255), ("Tan", 0.5463025), ("Asin", 0.5235988), ("Acos", 1.0471976), ("Atan", 0.4636476),
      ("Sinh", 0.5210953), ("Cosh", 1.127626), ("Asinh", 0.4812118), ("Atanh", 0.54930615),
    ]
    for (op, value) in half {
      let r = try run(op, [0.5], [1, 1], opset: 9)
      XCTAssertEqual(r.compiled.values[0], value, accuracy: 1.2e-7 * value, op)
      XCTAssertEqual(r.reference.values[0], value, op)
    }
    let acosh = try run("Acosh", [2, 0.5], [1, 2], opset: 9)
    XCTAssertEqual(acosh.reference.values[0], 1.316958)
    XCTAssertEqual(acosh.compiled.values[0], 1.316958, accuracy: 2e-7)
    XCTAssertTrue(acosh.compiled.values[1].isNaN && acosh.reference.values[1].isNaN, "below the domain: NaN")
  }
}
