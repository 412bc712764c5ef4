import XCTest

@testable import GraphServing

final class InferenceRequestTests: XCTestCase {
  /// Input x of [N, 2, 3], outputs y [N, 4] and z [N, 1].
  let signature = ModelSignature(
    inputs: [.init(name: "x", itemShape: [2, 3])],
    outputs: [.init(name: "y", itemShape: [4]), .init(name: "z", itemShape: [1])],
    fixedBatch: nil
  )

  func decode(_ json: String, binary: [UInt8] = [], headerLength: Int? = nil, signature: ModelSignature? = nil) throws -> InferenceRequest {
    let body = Array(json.utf8) + binary
    return try body.withUnsafeBytes {
      try InferenceRequest(body: $0, headerLength: headerLength ?? (binary.isEmpty ? nil : json.utf8.count), signature: signature ?? self.signature)
    }
  }

  func error(_ json: String, binary: [UInt8] = [], headerLength: Int? = nil, signature: ModelSignature? = nil) -> ServingError? {
    do {
      _ = try decode(json, binary: binary, headerLength: headerLength, signature: signature)
      return nil
    } catch let e as ServingError { return e } catch { return nil }
  }

  func input(_ datatype: String = "FP32", shape: String = "[1, 2, 3]", data: String = "[1, 2, 3, 4, 5, 6]", extra: String = "") -> String {
    #"{"id": "r1", "inputs": [{"name": "x", "datatype": "\#(datatype)", "shape": \#(shape), "data": \#(data)}]\#(extra)}"#
  }

  func testFlatAndNestedDataGiveTheSameValues() throws {
    let flat = try decode(input(shape: "[2, 2, 3]", data: "[1,2,3,4,5,6,7,8,9,10,11,12.5]"))
    let nested = try decode(input(shape: "[2, 2, 3]", data: "[[[1,2,3],[4,5,6]],[[7,8,9],[10,11,12.5]]]"))
    XCTAssertEqual(flat.inputs, [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5]])
    XCTAssertEqual(nested.inputs, flat.inputs)
    XCTAssertEqual(flat.batch, 2)
    XCTAssertEqual(flat.id, "r1")
    XCTAssertEqual(flat.outputs.map(\.name), ["y", "z"], "every output when none are named")
    XCTAssertEqual(flat.outputs.map(\.binary), [false, false])
  }

  func testIntegerAndBooleanTypesConvertToFloat() throws {
    XCTAssertEqual(try decode(input("INT64", data: "[-3, 0, 7, 9007199254740992, 1, 2]")).inputs[0], [-3, 0, 7, 9_007_199_254_740_992, 1, 2])
    XCTAssertEqual(try decode(input("UINT8", data: "[0, 255, 1, 2, 3, 4]")).inputs[0], [0, 255, 1, 2, 3, 4])
    XCTAssertEqual(try decode(input("FP64", data: "[0.5, 1, 2, 3, 4, 5]")).inputs[0], [0.5, 1, 2, 3, 4, 5])
    XCTAssertEqual(try decode(input("BOOL", data: "[true, false, true, true, false, false]")).inputs[0], [1, 0, 1, 1, 0, 0])
    XCTAssertEqual(error(input("UINT8", data: "[0, 256, 1, 2, 3, 4]"))?.status, 400, "out of range")
    XCTAssertEqual(error(input("INT32", data: "[0.5, 1, 1, 2, 3, 4]"))?.status, 400, "not an integer")
    XCTAssertEqual(error(input("FP32", data: "[true, 1, 1, 2, 3, 4]"))?.status, 400, "a boolean is not a number")
    XCTAssertEqual(error(input("BOOL", data: "[1, 1, 1, 2, 3, 4]"))?.status, 400, "a number is not a boolean")
  }

  func testWrongShapesTypesAndCountsAreRefusedWithTheReason() {
    XCTAssertEqual(error(input(shape: "[1, 3, 2]"))?.message, "input 'x' has shape [1, 3, 2], expected [-1, 2, 3]")
    XCTAssertEqual(error(input(shape: "[2, 3]"))?.status, 400, "no batch dimension")
    XCTAssertEqual(error(input(shape: "[0, 2, 3]", data: "[]"))?.status, 400, "empty batch")
    XCTAssertEqual(error(input(shape: "[1, -2, 3]"))?.status, 400)
    // A shape claiming far more values than the body holds fails without allocating them.
    XCTAssertEqual(error(input(shape: "[100000000000000, 2, 3]"))?.message, "input 'x' has 6 values; shape [100000000000000, 2, 3] needs 600000000000000")
    XCTAssertEqual(error(input(shape: "[4611686018427387903, 1, 2]"))?.status, 400, "too many elements")
    XCTAssertEqual(error(input(data: "[1, 2, 3]"))?.message, "input 'x' has 3 values; shape [1, 2, 3] needs 6")
    XCTAssertEqual(error(input(data: "[1, 2, 3, 4, 5, 6, 7]"))?.message, "input 'x' has more values than its shape holds (6)")
    XCTAssertTrue(error(input("BYTES", data: #"["a"]"#))?.message.hasPrefix("input 'x' has datatype 'BYTES'; accepted: BOOL") ?? false)
    XCTAssertEqual(error(#"{"inputs": [{"name": "w", "datatype": "FP32", "shape": [1], "data": [1]}]}"#)?.message, "unknown input 'w'; the model's inputs are [\"x\"]")
    XCTAssertEqual(error(#"{"inputs": []}"#)?.message, "missing input 'x' of shape [-1, 2, 3]")
    XCTAssertEqual(error(#"{"outputs": []}"#)?.message, "the request needs an 'inputs' array")
    XCTAssertEqual(error("[1]")?.message, "the request must be a JSON object, got an array")
    XCTAssertTrue(error(#"{"inputs": [}"#)?.message.hasPrefix("malformed JSON at byte 12") ?? false)
    XCTAssertEqual(error(input(extra: #", "outputs": [{"name": "q"}]"#))?.status, 400)
    let two = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1,2,3], "data": [1,2,3,4,5,6]}, {"name": "x", "datatype": "FP32", "shape": [1,2,3], "data": [1,2,3,4,5,6]}]}"#
    XCTAssertEqual(error(two)?.message, "input 'x' is given twice")
  }

  func testAFixedBatchPlanTakesOnlyItsBatch() throws {
    var fixed = signature
    fixed.fixedBatch = 1
    XCTAssertNoThrow(try decode(input(), signature: fixed))
    XCTAssertEqual(error(input(shape: "[2, 2, 3]", data: "[1,2,3,4,5,6,1,2,3,4,5,6]"), signature: fixed)?.message, "input 'x' has shape [2, 2, 3], expected [1, 2, 3]")
  }

  func testBinaryInputsFollowTheJSONHeader() throws {
    let values: [Float] = [1.5, -2, 3, 0.25, 5, 6e-3, 7, 8, 9, 10, 11, 12]
    let bytes = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
    let json = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 2, 3], "parameters": {"binary_data_size": 48}}]}"#
    XCTAssertEqual(try decode(json, binary: bytes).inputs, [values])

    let halves: [UInt16] = [0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x8000]  // 1, -2, 0.33325195, 2^-24, 65504, -0
    let half = #"{"inputs": [{"name": "x", "datatype": "FP16", "shape": [1, 2, 3], "parameters": {"binary_data_size": 12}}]}"#
    let h = try decode(half, binary: halves.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }).inputs[0]
    XCTAssertEqual(h.map(\.bitPattern), [1, -2, 0.333251953125, 0x1p-24, 65504, -0.0].map { Float($0).bitPattern })

    let u8 = #"{"inputs": [{"name": "x", "datatype": "UINT8", "shape": [1, 2, 3], "parameters": {"binary_data_size": 6}}]}"#
    XCTAssertEqual(try decode(u8, binary: [0, 1, 2, 253, 254, 255]).inputs[0], [0, 1, 2, 253, 254, 255])

    XCTAssertEqual(error(json, binary: Array(bytes.prefix(40)))?.message, "input 'x' binary_data_size is 48 bytes but only 40 bytes of binary data remain")
    XCTAssertEqual(error(json, binary: bytes + [0])?.message, "1 bytes of binary data after the inputs' binary_data_size total")
    XCTAssertEqual(error(json.replacingOccurrences(of: "48", with: "44"), binary: bytes)?.message, "input 'x' binary_data_size is 44 bytes; shape [2, 2, 3] of FP32 needs 48")
    XCTAssertEqual(error(json, binary: bytes, headerLength: 10_000)?.message, "Inference-Header-Content-Length 10000 exceeds the body's \(json.utf8.count + 48) bytes")
    XCTAssertTrue(error(json, binary: bytes, headerLength: 20)?.message.hasPrefix("malformed JSON") ?? false)
    let huge = json.replacingOccurrences(of: "[2, 2, 3]", with: "[1000000000000000000, 2, 3]").replacingOccurrences(of: "48", with: "1")
    XCTAssertEqual(error(huge, binary: bytes)?.message, "input 'x' binary_data_size is 1 bytes; shape [1000000000000000000, 2, 3] of FP32 needs too many")
  }

  func testRequestedOutputsAndTheirBinaryAndClassificationParameters() throws {
    let all = try decode(input(extra: #", "parameters": {"binary_data_output": true, "timeout": 2500}"#))
    XCTAssertEqual(all.outputs.map(\.binary), [true, true])
    XCTAssertEqual(all.timeoutMicroseconds, 2500)
    let some = try decode(input(extra: #", "parameters": {"binary_data_output": true}, "outputs": [{"name": "z", "parameters": {"binary_data": false}}, {"name": "y", "parameters": {"classification": 2}}]"#))
    XCTAssertEqual(some.outputs, [
      .init(name: "z", index: 1, binary: false, classification: nil),
      .init(name: "y", index: 0, binary: true, classification: 2),
    ])
    XCTAssertEqual(error(input(extra: #", "outputs": [{"name": "y", "parameters": {"binary_data": 1}}]"#))?.message, "output 'y' parameter 'binary_data' must be a boolean, got a number")
    XCTAssertEqual(error(input(extra: #", "outputs": [{"name": "y"}, {"name": "y"}]"#))?.message, "output 'y' is requested twice")
  }
}
