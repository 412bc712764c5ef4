import XCTest
@testable import GraphPlan
import GraphRuntime

/// Output element types in the plan file: recorded, round-tripped, validated on load, and
/// honoured by the session (a bool leaves as bytes, an integer constant as its own type).
final class TypedOutputPlanTests: XCTestCase {
  /// The tiny conv plan with its output read as bool, plus int64 and int32 constant outputs.
  static func typedPlan() -> (Plan, [Float]) {
    var (plan, weights) = PlanFileTests.tinyPlan()
    plan.outputs[0].elementType = .bool
    plan.outputs.append(.constant(name: "shape", shape: [3], elementType: .int64, values: [1, -2, 1 << 40]))
    plan.outputs.append(.constant(name: "table", shape: [2, 2], elementType: .int32, values: [7, -7, Int64(Int32.max), Int64(Int32.min)]))
    return (plan, weights)
  }

  /// Rewrites the header's checksum, so a corrupted field reaches the reader's own checks.
  func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var bytes = bytes
    let sum = bytes.withUnsafeBytes { PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[PlanFormat.headerSize...])) }
    bytes.replaceSubrange(24..<32, with: withUnsafeBytes(of: sum.littleEndian) { Array($0) })
    return bytes
  }

  func decodeError(_ bytes: [UInt8]) -> String? {
    do {
      _ = try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "bad.plan") }
      return nil
    } catch { return "\(error)" }
  }

  /// Where the int64 constant's element type byte sits: just before its constant flag (1), count
  /// (3) and first value (1).
  func typeByteOffset(_ bytes: [UInt8]) -> Int? {
    let pattern: [UInt8] = [2, 1, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    return (0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
  }

  func testOutputTypesRoundTrip() throws {
    let (plan, weights) = Self.typedPlan()
    try plan.validate()
    let bytes = try plan.serialized(weights: weights)
    let (decoded, _) = try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "typed") }
    XCTAssertEqual(decoded, plan)
    XCTAssertEqual(decoded.outputs.map(\.elementType), [.bool, .int64, .int32])
    XCTAssertEqual(decoded.outputs[1].constant, [1, -2, 1 << 40])
    XCTAssertEqual(decoded.inputs.map(\.elementType), [.float32])
  }

  func testSessionWritesEachOutputAsItsType() throws {
    let (plan, weights) = Self.typedPlan()
    let path = NSTemporaryDirectory() + "typed-\(getpid()).plan"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(try plan.serialized(weights: weights)).write(to: URL(fileURLWithPath: path))
    let model = try CompiledModel(contentsOfFile: path)
    XCTAssertEqual(model.elementType(of: "out"), .bool)
    XCTAssertEqual(model.elementType(of: "shape"), .int64)
    let input = try FloatTensor(shape: [2, 2, 4, 4], values: (0..<64).map { Float($0 % 7) - 3 })
    let typed = try model.makeSession().runTyped(input)
    // The same plan with a float output gives the values the bools must match (relu: 0 or positive).
    let (floatPlan, _) = PlanFileTests.tinyPlan()
    let floats = try CompiledModel(plan: floatPlan, weights: weights).makeSession().run(input)["out"]!
    XCTAssertEqual(typed["out"]?.shape, [2, 3, 4, 4])
    XCTAssertEqual(typed["out"]?.bytes, floats.values.map { $0 != 0 ? 1 : 0 })
    XCTAssertTrue(floats.values.contains(0) && floats.values.contains { $0 > 0 }, "both bools occur")
    XCTAssertEqual(try typed["shape"]?.int64s(), [1, -2, 1 << 40])
    XCTAssertEqual(typed["table"]?.shape, [2, 2])
    XCTAssertEqual(try typed["table"]?.int32s(), [7, -7, Int32.max, Int32.min])
    XCTAssertEqual(typed["shape"].map { Array(NPY.encode($0).suffix(24)) }, typed["shape"]?.bytes, ".npy data is the tensor's bytes")
    XCTAssertTrue(String(decoding: NPY.encode(typed["out"]!).prefix(64), as: UTF8.self).contains("'descr': '|b1'"))
  }

  /// An int64 output without constant values is computed: indices the arena holds as exact floats
  /// (ArgMax's), which leave as int64; the binding round-trips with its constant flag clear.
  func testComputedInt64OutputLeavesAsIntegers() throws {
    var (plan, weights) = PlanFileTests.tinyPlan()
    plan.outputs[0].elementType = .int64
    try plan.validate()
    let bytes = try plan.serialized(weights: weights)
    let (decoded, _) = try bytes.withUnsafeBytes { try PlanReader.decode($0, source: "indices") }
    XCTAssertEqual(decoded, plan)
    XCTAssertNil(decoded.outputs[0].constant)
    let input = try FloatTensor(shape: [1, 2, 4, 4], values: (0..<32).map { Float($0 % 7) - 3 })
    let floats = try CompiledModel(plan: PlanFileTests.tinyPlan().0, weights: weights).makeSession().run(input)["out"]!
    let typed = try CompiledModel(plan: plan, weights: weights).makeSession().runTyped(input)["out"]!
    XCTAssertEqual(typed.elementType, .int64)
    XCTAssertEqual(try typed.int64s(), floats.values.map { Int64($0) })
    XCTAssertThrowsError(try typed.floats())
  }

  func testCorruptedOutputTypeIsRefused() throws {
    let (plan, weights) = Self.typedPlan()
    let good = try plan.serialized(weights: weights)
    guard let at = typeByteOffset(good) else { return XCTFail("element type byte not found") }
    var unknown = good
    unknown[at] = 9
    XCTAssertTrue(decodeError(resealed(unknown))?.contains("'shape' has unknown element type 9") ?? false, decodeError(resealed(unknown)) ?? "accepted")
    var huge = good
    huge[at + 5] = 0x7F  // a count of 2^31 + 3 values: more than the section holds
    XCTAssertTrue(decodeError(resealed(huge))?.contains("truncated") ?? false, decodeError(resealed(huge)) ?? "accepted")
    var short = good
    short[at + 2] = 2  // two values for a shape of three
    XCTAssertNotNil(decodeError(resealed(short)))
    // Every truncation is an error, never a trap.
    for cut in stride(from: 64, to: good.count, by: 13) { XCTAssertNotNil(decodeError(resealed(Array(good.prefix(cut))))) }
  }

  func testValidationChecksTypesAgainstValues() {
    var (plan, _) = Self.typedPlan()
    plan.outputs[2].constant = [1, 2, 3, 1 << 33]
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("output 'table' is int32 but holds 8589934592"), "\($0)") }
    (plan, _) = Self.typedPlan()
    plan.outputs[1].constant = [1, 2]
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("does not match"), "\($0)") }
    (plan, _) = Self.typedPlan()
    plan.outputs[2].constant = nil
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("output 'table' is int32 without its constant values"), "\($0)") }
    (plan, _) = Self.typedPlan()
    plan.outputs[0].constant = [1]
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("only integer outputs"), "\($0)") }
    (plan, _) = Self.typedPlan()
    plan.inputs[0].elementType = .int64
    XCTAssertThrowsError(try plan.validate()) { XCTAssertTrue("\($0)".contains("input 'input' is int64"), "\($0)") }
  }
}
