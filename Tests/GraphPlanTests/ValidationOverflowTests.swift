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

  /// A view's dims fit an Int on their own; its offset within an item plus their count does not.
  func testViewInnerOffsetPlusCountThatOverflows() {
    let x = View(base: 0, itemStride: 16, inner: 1 << 33, dims: [(1 << 31) - 1, (1 << 31) - 1, 2])
    let y = View(base: 16, itemStride: 16, dims: [16])
    XCTAssertThrowsError(try plan(.activation(.relu), inputs: [x], output: y).validate()) {
      XCTAssertTrue("\($0)".contains("lies outside the arena"), "\($0)")
    }
  }

  /// Pads and dilations that fit the window's checks alone but make a zero-bordered copy of the
  /// input (or a depthwise ring's reach) too large to count: kernels sized scratch from them and trapped.
  func testConvPaddedInputThatOverflows() {
    let big = (1 << 31) - 1
    let depthwise = Conv2DGeometry(
      inChannels: 2, inHeight: 1, inWidth: 1, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
      padTop: big, padLeft: big, padBottom: big, padRight: big, dilationHeight: big, dilationWidth: big, groups: 2)
    let strided = Conv2DGeometry(
      inChannels: 1, inHeight: 1, inWidth: 1, outChannels: 1, kernelHeight: 1, kernelWidth: 1, strideHeight: big, strideWidth: big,
      padTop: big, padLeft: big, padBottom: big, padRight: big)
    for g in [depthwise, strided] {
      XCTAssertThrowsError(try g.validate()) { XCTAssertTrue("\($0)".contains("sizes overflow"), "\($0)") }
    }
    XCTAssertNoThrow(try Conv2DGeometry(inChannels: 2, inHeight: 8, inWidth: 8, outChannels: 2, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2).validate())
  }

  /// A pooling window whose kernel sizes each fit but whose tap count does not.
  func testPoolWindowTapCountThatOverflows() {
    let big = (1 << 31) - 1
    let g = PoolNDGeometry(channels: 1, inSizes: [1, 1, 1], outSizes: [1, 1, 1], window: WindowND(kernel: [big, big, big]))
    XCTAssertThrowsError(try g.validate()) { XCTAssertTrue("\($0)".contains("sizes overflow"), "\($0)") }
  }

  /// An empty binding (a 0 in its shape) holds no values and names no place in the arena; one
  /// that claims values or a view is refused rather than read.
  func testEmptyBindingsHoldNothing() {
    let x = View(base: 0, itemStride: 16, dims: [16]), y = View(base: 16, itemStride: 16, dims: [16])
    func plan(output: TensorBinding) -> Plan {
      Plan(
        fixedBatch: nil, arenaFloatsPerItem: 32, inputs: [TensorBinding(name: "x", view: x)], outputs: [TensorBinding(name: "y", view: y), output],
        steps: [Step(name: "s", absorbed: ["s"], kernel: .activation(.relu), inputs: [x], output: y)], weightCount: 0)
    }
    let empty = TensorBinding.constant(name: "e", shape: [2, 0], elementType: .float32, values: [])
    XCTAssertTrue(empty.isEmpty)
    XCTAssertNoThrow(try plan(output: empty).validate())
    var withValues = empty
    withValues.constant = [1]
    var withView = empty
    withView.view = View(base: 0, itemStride: 16, dims: [16])
    var negative = empty
    negative.shape = [2, 0, -1]
    // Its other dims must still multiply out: runtimes size tensors by the product before the 0.
    var huge = empty
    huge.shape = [65536, 65536, 65536, 65536, 0]
    for bad in [withValues, withView, negative, huge] {
      XCTAssertThrowsError(try plan(output: bad).validate()) { XCTAssertTrue("\($0)".contains("output 'e' is "), "\($0)") }
    }
  }
}
