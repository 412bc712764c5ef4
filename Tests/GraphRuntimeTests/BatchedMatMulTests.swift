import GraphPlan
import GraphReference
import TestSupport
import XCTest

@testable import GraphRuntime

/// The batched matmul kernel (ONNX MatMul of run-time tensors) against the reference, over
/// random shapes with broadcast batch dims and 1-D operands, on 1 and 2 threads.
final class BatchedMatMulTests: XCTestCase {
  func check(_ aShape: [Int], _ bShape: [Int], seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = SeededRandom(seed: seed)
    let a = rng.floats(aShape.reduce(1, *)), b = rng.floats(bShape.reduce(1, *))
    let outShape = try XCTUnwrap(MatMulStep.outputDims(aShape, bShape), "\(aShape) x \(bShape)", file: file, line: line)
    XCTAssertEqual(outShape, try Reference.matmulShape(aShape, bShape), file: file, line: line)
    var expected = [Float](repeating: .nan, count: outShape.reduce(1, *))
    var one = expected, two = expected
    _ = try Reference.matmul(a: a, aShape: aShape, b: b, bShape: bShape, output: &expected)
    let layout = MatMulLayout(left: aShape, right: bShape)
    Kernels.matmul(layout, a: a, b: b, output: &one, pool: nil)
    Kernels.matmul(layout, a: a, b: b, output: &two, pool: ThreadPool(threads: 2))
    let k = aShape.last ?? 1
    assertClose(one, expected, atol: 1e-5 * Float(k), rtol: 1e-4, "\(aShape) x \(bShape)", file: file, line: line)
    XCTAssertEqual(one, two, "1 and 2 threads differ: \(aShape) x \(bShape)", file: file, line: line)
  }

  func testShapesOfTheNodeTests() throws {
    try check([2, 3, 4], [2, 4, 3], seed: 1)
    try check([1, 2, 3, 4], [1, 2, 4, 3], seed: 2)
    try check([3, 4], [4], seed: 3)
    try check([4], [2, 4, 3], seed: 4)
    try check([4], [4], seed: 5)
    try check([1, 2, 3, 4], [4], seed: 6)
    try check([5, 3, 4], [4, 2], seed: 7)
  }

  /// Random ranks 1-4, batch dims that broadcast either way (size 1 or missing on one side).
  func testRandomBroadcastingShapes() throws {
    var rng = SeededRandom(seed: 42)
    func size(_ hi: Int) -> Int { 1 + Int(rng.next() % UInt64(hi)) }
    for trial in 0..<60 {
      let (m, n, k) = (size(20), size(40), size(70))
      let batchRank = Int(rng.next() % 3)
      let batch = (0..<batchRank).map { _ in size(4) }
      // Each side keeps a suffix of the batch dims, some set to 1.
      func side() -> [Int] {
        let kept = batch.suffix(Int(rng.next() % UInt64(batchRank + 1)))
        return kept.map { rng.next() % 3 == 0 ? 1 : $0 }
      }
      let a = rng.next() % 5 == 0 ? [k] : side() + [m, k]
      let b = rng.next() % 5 == 0 ? [k] : side() + [k, n]
      try check(a, b, seed: UInt64(trial))
    }
  }

  /// Large enough that each matrix splits over the threads rather than going one per thread.
  func testLargeMatricesSplitOverThreads() throws {
    try check([2, 130, 300], [300, 70], seed: 9)
    try check([1, 200], [3, 200, 300], seed: 10)
  }
}
