import GraphCompiler
import GraphIR
import GraphPlan
import GraphRuntime
import XCTest

/// LpPool against values worked out by hand, and the windows it refuses.
final class LpPoolTests: XCTestCase {
  private func run(_ model: Model, _ x: [Float], dims: [Int]) throws -> [Float] {
    let compiled = try Pipeline.compile(model)
    let outputs = try Compile.run(compiled, ["x": try FloatTensor(shape: dims, values: x)], threads: 1)
    return outputs.values.first!.values
  }

  /// p = 3 over windows of 2 with one column of padding after: (Σ |x|³)^(1/3), the pad adding 0.
  func testCubeRootOfSummedCubesWithPadding() throws {
    let g = TestGraph("lppool_p3")
    let x = g.input("x", ["N", 1, 4])
    g.output(g.node("LpPool", "lp", [x], ["kernel_shape": .ints([2]), "p": .int(3), "pads": .ints([0, 1])]))
    let y = try run(g.model(opset: 18), [1, -2, 3, -4], dims: [1, 1, 4])
    let expected: [Float] = [9, 35, 91, 64].map { Float(pow(Double($0), 1.0 / 3)) }
    XCTAssertEqual(y.count, 4)
    for (a, b) in zip(y, expected) { XCTAssertEqual(a, b, accuracy: 1e-5 * b, "\(y) vs \(expected)") }
  }

  /// p = 2 (the default) over 2x2 windows at stride 2: the L2 norm of each block.
  func testEuclideanNormOfBlocks() throws {
    let g = TestGraph("lppool_p2")
    let x = g.input("x", ["N", 1, 2, 4])
    g.output(g.node("LpPool", "lp", [x], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]))
    let y = try run(g.model(opset: 18), [1, 2, 3, 4, -2, 4, 0, -1], dims: [1, 1, 2, 4])
    let expected: [Float] = [(1 + 4 + 4 + 16 as Float).squareRoot(), (9 + 16 + 0 + 1 as Float).squareRoot()]
    XCTAssertEqual(y.count, 2)
    for (a, b) in zip(y, expected) { XCTAssertEqual(a, b, accuracy: 1e-5 * b, "\(y) vs \(expected)") }
  }

  /// A last window that `ceil_mode` lets past the padded input would need a smaller divisor
  /// than the window's taps: refused, naming the node.
  func testRefusesWindowsPastThePaddedInput() {
    let g = TestGraph("lppool_ceil")
    let x = g.input("x", ["N", 1, 5])
    g.output(g.node("LpPool", "lp", [x], ["kernel_shape": .ints([2]), "strides": .ints([2]), "ceil_mode": .int(1)]))
    XCTAssertThrowsError(try Pipeline.compile(g.model(opset: 18))) {
      XCTAssertTrue("\($0)".contains("lp") && "\($0)".contains("ceil_mode"), "\($0)")
    }
  }
}
