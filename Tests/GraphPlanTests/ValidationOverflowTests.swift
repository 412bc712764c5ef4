import XCTest
@testable import GraphPlan

/// Parameters whose product overflows are validation errors, not traps (each case here
/// once trapped; the fuzzed files are in Tests/Fixtures/fuzz-regressions).
final class ValidationOverflowTests: XCTestCase {
  func plan(_ kernel: Kernel, inputs: [View], output: View, weights: Int = 0, arena: Int = 32) -> Plan {
    Plan(
      fixedBatch: nil, arenaFloatsPerItem: arena, inputs: [TensorBinding(name: "x", view: inputs[0])],
      outputs: [TensorBinding(name: "y", view: output)],
      steps: [Step(name: "s", absorbed: ["s"], kernel: kernel, inputs: inputs, output: output)], weightCount: weights)
  }

  func testBinaryOperandDimsWhoseProductOverflows() {
    let x = View(base: 0, itemStride: 16, dims: [16]), y = View(base: 16, itemStride: 16, dims: [16])
    for (left, right) in [([1 << 40, 1 << 40], [1]), ([16], [1 << 40, 1 << 40, 1 << 40]), ([-2, -8], [1]), ([16], [0])] {
      let add = Kernel.binary(Binary(op: .add, leftDims: left, rightDims: right, constant: WeightRef(offset: 0, count: 1), constantIsLeft: false, activation: .none))
      XCTAssertThrowsError(try plan(add, inputs: [x], output: y, weights: 1).validate()) {
        XCTAssertTrue("\($0)".contains("out of range"), "\(left) \(right): \($0)")
      }
    }
    let fine = Kernel.binary(Binary(op: .add, leftDims: [16], rightDims: [1], constant: WeightRef(offset: 0, count: 1), constantIsLeft: false, activation: .none))
    XCTAssertNoThrow(try plan(fine, inputs: [x], output: y, weights: 1).validate())
  }

  /// Both sizes fit the arena; the weight count they imply does not fit an Int (found by fuzz-plan).
  func testDenseWeightCountThatOverflows() {
    let n = 1 << 32
    let x = View(base: 0, itemStride: n, dims: [4, n / 4]), y = View(base: n, itemStride: n, dims: [4, n / 4])
    let dense = Kernel.dense(Dense(inFeatures: n, outFeatures: n, weights: WeightRef(offset: 0, count: 1), bias: nil, activation: .none))
    XCTAssertThrowsError(try plan(dense, inputs: [x], output: y, weights: 1, arena: 2 * n).validate()) {
      XCTAssertTrue("\($0)".contains("dense weights"), "\($0)")
    }
  }
}
