import GraphIR
import GraphRuntime
import XCTest

@testable import GraphCompiler

/// The trained LeNet on its 360 held-out digits: the compiled plan reproduces the
/// training framework's accuracy, predictions and logits.
final class DigitsTests: XCTestCase {
  func argmax(_ values: ArraySlice<Float>) -> Int {
    values.indices.max { values[$0] < values[$1] }! - values.startIndex
  }

  func testCompiledLeNetMatchesTorchOnAllTestImages() throws {
    let images = try NPY.read(path: Fixtures.digits("digits-test-images.npy"))
    let labels = try NPY.read(path: Fixtures.digits("digits-test-labels.npy"))
    let torch = try NPY.read(path: Fixtures.digits("digits-test-logits-torch.npy"))
    XCTAssertEqual(images.shape, [360, 1, 28, 28])
    XCTAssertEqual(labels.shape, [360])
    XCTAssertEqual(torch.shape, [360, 10])

    let compiled = try Pipeline.compile(try Fixtures.lenet())
    let outputs = try Compile.run(compiled, ["image": try FloatTensor(shape: images.shape, values: images.data)], threads: 2)
    let logits = try XCTUnwrap(outputs["logits"])
    XCTAssertEqual(logits.shape, [360, 10])

    var correct = 0, disagreements = 0
    var maxDiff: Float = 0
    for i in 0..<360 {
      let row = logits.values[(i * 10)..<(i * 10 + 10)], reference = torch.data[(i * 10)..<(i * 10 + 10)]
      if argmax(row) == Int(labels.data[i]) { correct += 1 }
      if argmax(row) != argmax(reference) { disagreements += 1 }
      maxDiff = max(maxDiff, zip(row, reference).map { abs($0 - $1) }.max()!)
    }
    XCTAssertEqual(correct, 352, "accuracy \(Double(correct) / 3.6)% (expected 97.78%)")
    XCTAssertEqual(disagreements, 0, "predictions that differ from the training framework's")
    XCTAssertLessThanOrEqual(maxDiff, 1e-4, "largest logit difference from the training framework")
  }

  /// The oracle itself agrees with the training framework (on a few images: it is slow).
  func testReferenceInterpreterMatchesTorch() throws {
    let images = try NPY.read(path: Fixtures.digits("digits-test-images.npy"))
    let torch = try NPY.read(path: Fixtures.digits("digits-test-logits-torch.npy"))
    let count = 8
    let input = try FloatTensor(shape: [count, 1, 28, 28], values: Array(images.data.prefix(count * 784)))
    let outputs = try ReferenceInterpreter.run(try Fixtures.lenet(), inputs: ["image": input])
    let logits = try XCTUnwrap(outputs["logits"])
    XCTAssertEqual(logits.shape, [count, 10])
    let diff = zip(logits.values, torch.data.prefix(count * 10)).map { abs($0 - $1) }.max()!
    XCTAssertLessThanOrEqual(diff, 1e-4)
  }
}
