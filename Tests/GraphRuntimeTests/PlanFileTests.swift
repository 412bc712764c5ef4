import XCTest
@testable import GraphPlan
import GraphRuntime

final class PlanFileTests: XCTestCase {
  /// A tiny valid plan: input [2,4,4] → conv 3x3 pad 1 to [3,4,4] → relu in place.
  static func tinyPlan() -> (Plan, [Float]) {
    let weights: [Float] = (0..<70).map { Float($0) * Float(0.01) }
    let geometry = Conv2DGeometry(
      inChannels: 2, inHeight: 4, inWidth: 4, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
    let conv = Convolution(
      geometry: geometry, weights: WeightRef(offset: 0, count: 54), bias: WeightRef(offset: 64, count: 3), residual: false, activation: .relu)
    let input = View(base: 0, itemStride: 32, dims: [2, 4, 4])
    let output = View(base: 32, itemStride: 48, dims: [3, 4, 4])
    let plan = Plan(
      fixedBatch: nil, arenaFloatsPerItem: 80,
      inputs: [TensorBinding(name: "input", view: input)], outputs: [TensorBinding(name: "out", view: output)],
      steps: [Step(name: "conv", absorbed: ["conv", "relu"], kernel: .conv(conv), inputs: [input], output: output)],
      weightCount: 70)
    return (plan, weights)
  }

  func testRoundTripGivesTheSamePlanAndBytes() throws {
    let (plan, weights) = Self.tinyPlan()
    let bytes = try plan.serialized(weights: weights)
    XCTAssertEqual(bytes, try plan.serialized(weights: weights), "serialization must be deterministic")
    let (decoded, offset) = try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "tiny") }
    XCTAssertEqual(decoded, plan)
    XCTAssertEqual(offset % 64, 0)
    let loaded = bytes.withUnsafeBytes { raw in (0..<weights.count).map { raw.load(fromByteOffset: offset + $0 * 4, as: Float.self) } }
    XCTAssertEqual(loaded, weights)
  }

  func testCorruptionIsAnErrorNeverATrap() throws {
    let (plan, weights) = Self.tinyPlan()
    let good = try plan.serialized(weights: weights)
    func decode(_ bytes: [UInt8]) -> String? {
      do {
        _ = try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "bad.plan") }
        return nil
      } catch let e as PlanError { return e.message } catch { return "\(error)" }
    }
    XCTAssertTrue(decode(Array(good.prefix(good.count / 2)))?.contains("truncated") ?? false)
    XCTAssertTrue(decode(Array(good.prefix(10)))?.contains("not a plan") ?? false)
    var wrongMagic = good; wrongMagic[0] = 0x41
    XCTAssertTrue(decode(wrongMagic)?.contains("magic") ?? false)
    var wrongVersion = good; wrongVersion[8] = 99
    XCTAssertTrue(decode(wrongVersion)?.contains("version 99") ?? false)
    var flipped = good; flipped[good.count - 5] ^= 0xFF
    XCTAssertTrue(decode(flipped)?.contains("checksum") ?? false)
    // Every single-byte corruption of the body is caught (by the checksum) without a crash.
    for i in stride(from: 64, to: good.count, by: 7) {
      var bad = good; bad[i] ^= 0x5A
      XCTAssertNotNil(decode(bad), "corruption at byte \(i) went unnoticed")
    }
  }

  /// The checksum reads 8-byte words, then the bytes left over: a corrupt tail must not slip through.
  func testChecksumCoversAFileTailShorterThanAWord() throws {
    var (plan, weights) = Self.tinyPlan()
    weights.append(1.5)  // 71 floats: the file ends 4 bytes past a word boundary
    plan.weightCount = weights.count
    let good = try plan.serialized(weights: weights)
    XCTAssertEqual(good.count % 8, 4, "the test needs a file whose length is not a multiple of 8")
    XCTAssertNoThrow(try good.withUnsafeBytes { try PlanReader.decode($0, source: "odd.plan") })
    for i in (good.count - 4)..<good.count {
      var bad = good
      bad[i] ^= 0x01
      XCTAssertThrowsError(try bad.withUnsafeBytes { try PlanReader.decode($0, source: "odd.plan") }, "tail byte \(i)") { error in
        XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
      }
    }
  }

  func testConvOutputSizeMustMatchItsGeometry() throws {
    let (plan, weights) = Self.tinyPlan()
    var bytes = try plan.serialized(weights: weights)
    // The conv's 17 ints start [2, 4, 4, 3, 4, 4, ...]; make the stored output 3 rows high.
    func le(_ v: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    let pattern = [2, 4, 4, 3, 4, 4].flatMap(le)
    guard let start = (0...(bytes.count - pattern.count)).first(where: { Array(bytes[$0..<($0 + pattern.count)]) == pattern }) else {
      return XCTFail("conv parameters not found")
    }
    bytes.replaceSubrange((start + 32)..<(start + 40), with: le(3))
    let sum = bytes.withUnsafeBytes { PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[PlanFormat.headerSize...])) }
    bytes.replaceSubrange(24..<32, with: le(Int(bitPattern: UInt(sum))))
    XCTAssertThrowsError(try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "bad.plan") }) { error in
      XCTAssertTrue((error as? PlanError)?.message.contains("does not match its geometry") ?? false, "\(error)")
    }
  }

  func testValidationRejectsViewsOutsideTheArena() {
    var (plan, _) = Self.tinyPlan()
    plan.arenaFloatsPerItem = 60
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("outside the arena")) }
    (plan, _) = Self.tinyPlan()
    plan.weightCount = 40
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("weights")) }
  }
}
