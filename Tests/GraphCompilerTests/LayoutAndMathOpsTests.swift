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

/// GatherElements and ScatterElements with constant indices, by hand (ONNX's own examples).
final class ElementIndexingTests: XCTestCase {
  /// `op(x, indices[, updates])` on a fixed-shape run-time `x`, compiled and by the interpreter.
  func run(_ op: String, _ x: [Float], _ shape: [Int], indices: [Int], _ indexDims: [Int], updates: [Float]? = nil, axis: Int) throws
    -> (compiled: [Float], reference: [Float])
  {
    let g = TestGraph(op.lowercased())
    g.input("x", Shape(fixed: shape))
    var inputs = [g.node("Relu", "relu", ["x"]), g.ints("indices", indices, dims: indexDims)]
    if let updates { inputs.append(g.builder.constant("updates", Tensor(floats: updates, dims: indexDims))) }
    g.output(g.node(op, "out", inputs, ["axis": .int(axis)]))
    let model = g.model()
    let feeds = ["x": try FloatTensor(shape: shape, values: x)]
    return (try Compile.run(try Pipeline.compile(model), feeds, threads: 1)["out"]!.values, try ReferenceInterpreter.run(model, inputs: feeds)["out"]!.values)
  }

  func testGatherElements() throws {
    // data [[1, 2], [3, 4]], indices [[0, 0], [1, 0]] along axis 1: [[1, 1], [4, 3]].
    let r = try run("GatherElements", [1, 2, 3, 4], [2, 2], indices: [0, 0, 1, 0], [2, 2], axis: 1)
    XCTAssertEqual(r.compiled, [1, 1, 4, 3])
    XCTAssertEqual(r.reference, [1, 1, 4, 3])
    // Axis 0 with a negative index: [[1,2,3],[4,5,6],[7,8,9]], indices [[1, 2, 0], [2, 0, -3]]: [[4, 8, 3], [7, 2, 3]].
    let rows = try run("GatherElements", (1...9).map(Float.init), [3, 3], indices: [1, 2, 0, 2, 0, -3], [2, 3], axis: 0)
    XCTAssertEqual(rows.compiled, [4, 8, 3, 7, 2, 3])
    XCTAssertEqual(rows.reference, [4, 8, 3, 7, 2, 3])
    XCTAssertThrowsError(try run("GatherElements", [1, 2, 3, 4], [2, 2], indices: [0, 2, 1, 0], [2, 2], axis: 1)) {
      XCTAssertTrue("\($0)".contains("'out'") && "\($0)".contains("index 2 is out of range for axis 1 of size 2"), "\($0)")
    }
  }

  func testScatterElements() throws {
    // data [[1, 2, 3, 4, 5]], indices [[1, 3]], updates [[1.1, 2.1]] along axis 1: [[1, 1.1, 3, 2.1, 5]].
    let r = try run("ScatterElements", [1, 2, 3, 4, 5], [1, 5], indices: [1, 3], [1, 2], updates: [1.1, 2.1], axis: 1)
    XCTAssertEqual(r.compiled, [1, 1.1, 3, 2.1, 5])
    XCTAssertEqual(r.reference, [1, 1.1, 3, 2.1, 5])
    // Axis 0 of zeros [3, 3]: indices [[1, 0, 2], [0, 2, 1]], updates [[1, 1.1, 1.2], [2, 2.1, 2.2]].
    let zeros = try run("ScatterElements", [Float](repeating: 0, count: 9), [3, 3], indices: [1, 0, 2, 0, 2, 1], [2, 3], updates: [1, 1.1, 1.2, 2, 2.1, 2.2], axis: 0)
    XCTAssertEqual(zeros.compiled, [2, 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2])
    XCTAssertEqual(zeros.reference, zeros.compiled)
  }
}

/// Trilu and EyeLike, by hand.
final class TriangleOpsTests: XCTestCase {
  /// x [N, 3, 3] of 1...9 with a NaN below the diagonal: upper from k = 1, lower from k = -1.
  func testTrilu() throws {
    let x: [Float] = [1, 2, 3, .nan, 5, 6, 7, 8, 9]
    for (upper, k, want) in [(1, 1, [0, 2, 3, 0, 0, 6, 0, 0, 0]), (0, -1, [0, 0, 0, Float.nan, 0, 0, 7, 8, 0]), (1, 0, [1, 2, 3, 0, 5, 6, 0, 0, 9])] as [(Int, Int, [Float])] {
      let g = TestGraph("trilu")
      g.input("x", ["N", 3, 3])
      g.output(g.node("Trilu", "out", ["x", g.ints("k", [k], dims: [])], ["upper": .int(upper)]))
      let model = g.model(opset: 14)
      let feeds = ["x": try FloatTensor(shape: [1, 3, 3], values: x)]
      for got in [try Compile.run(try Pipeline.compile(model), feeds, threads: 1)["out"]!.values, try ReferenceInterpreter.run(model, inputs: feeds)["out"]!.values] {
        XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "upper \(upper) k \(k): \(got)")
      }
    }
  }

  /// EyeLike of a fixed [2, 3] value, k = 1, folded into a constant the plan adds.
  func testEyeLike() throws {
    let g = TestGraph("eyelike")
    g.input("x", [2, 3])
    g.output(g.node("Add", "out", ["x", g.node("EyeLike", "eye", ["x"], ["k": .int(1)])]))
    let feeds = ["x": try FloatTensor(shape: [2, 3], values: [0, 0, 0, 0, 0, 0])]
    XCTAssertEqual(try Compile.run(try Pipeline.compile(g.model()), feeds, threads: 1)["out"]?.values, [0, 1, 0, 0, 0, 1])
    XCTAssertEqual(try ReferenceInterpreter.run(g.model(), inputs: feeds)["out"]?.values, [0, 1, 0, 0, 0, 1])
    let batched = TestGraph("eyelike_batched")
    batched.input("x", ["N", 3])
    batched.output(batched.node("Add", "out", ["x", batched.node("EyeLike", "eye", ["x"])]))
    XCTAssertThrowsError(try Pipeline.compile(batched.model())) {
      XCTAssertTrue("\($0)".contains("'eye'") && "\($0)".contains("fixed 2-D shape"), "\($0)")
    }
  }
}

/// LpNormalization by hand: rows [3, 4] and [1, -1].
final class LpNormalizationTests: XCTestCase {
  /// Rows [3, 4], [1, -1] and [0, 0] (a zero norm gives 0, not NaN).
  func testL2AlongTheLastAxisAndL1AlongTheFirst() throws {
    let x: [Float] = [3, 4, 1, -1, 0, 0]
    let half = Float(0.5).squareRoot()
    for (attributes, want) in [([:], [0.6, 0.8, half, -half, 0, 0]), (["axis": .int(1), "p": .int(1)], [0.75, 0.8, 0.25, -0.2, 0, 0])] as [([String: Attribute], [Float])] {
      let g = TestGraph("lpnorm")
      g.input("x", ["N", 3, 2])
      g.output(g.node("LpNormalization", "out", ["x"], attributes))
      let feeds = ["x": try FloatTensor(shape: [1, 3, 2], values: x)]
      for got in [try Compile.run(try Pipeline.compile(g.model()), feeds, threads: 1)["out"]!.values, try ReferenceInterpreter.run(g.model(), inputs: feeds)["out"]!.values] {
        for (a, b) in zip(got, want) { XCTAssertEqual(a, b, accuracy: 1e-7, "\(attributes): \(got)") }
      }
    }
    let bad = TestGraph("lpnorm_p3")
    bad.input("x", ["N", 2])
    bad.output(bad.node("LpNormalization", "p3", ["x"], ["p": .int(3)]))
    XCTAssertThrowsError(try Pipeline.compile(bad.model())) { XCTAssertTrue("\($0)".contains("'p3'") && "\($0)".contains("p must be 1 or 2, is 3"), "\($0)") }
  }
}

/// MeanVarianceNormalization by hand: x [1, 2, 1, 2] = channels [1, 3] and [5, 5].
final class MeanVarianceNormalizationTests: XCTestCase {
  func testDefaultAxesOnAFixedShape() throws {
    let g = TestGraph("mvn")
    g.input("x", [1, 2, 1, 2])
    g.output(g.node("MeanVarianceNormalization", "out", ["x"]))
    let feeds = ["x": try FloatTensor(shape: [1, 2, 1, 2], values: [1, 3, 5, 5])]
    // Channel 0: mean 2, std 1; channel 1 is constant: 0 / (0 + 1e-9) = 0.
    for got in [try Compile.run(try Pipeline.compile(g.model()), feeds, threads: 1)["out"]!.values, try ReferenceInterpreter.run(g.model(), inputs: feeds)["out"]!.values] {
      XCTAssertEqual(got, [-1, 1, 0, 0])
    }
    let batched = TestGraph("mvn_batched")
    batched.input("x", ["N", 2, 1, 2])
    batched.output(batched.node("MeanVarianceNormalization", "mvn", ["x"]))
    XCTAssertThrowsError(try Pipeline.compile(batched.model())) {
      XCTAssertTrue("\($0)".contains("normalizing across the batch (node 'mvn')"), "\($0)")
    }
  }
}
