import XCTest

@testable import GraphServing

final class InferenceResponseTests: XCTestCase {
  let signature = ModelSignature(
    inputs: [.init(name: "x", itemShape: [1])],
    outputs: [.init(name: "y", itemShape: [3]), .init(name: "z", itemShape: [1])],
    fixedBatch: nil
  )

  func request(_ outputs: String, id: String? = "7") throws -> InferenceRequest {
    let json = #"{\#(id.map { "\"id\": \"\($0)\"," } ?? "") "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 1], "data": [0, 0]}]\#(outputs)}"#
    return try Array(json.utf8).withUnsafeBytes { try InferenceRequest(body: $0, headerLength: nil, signature: signature) }
  }

  let floats: [[Float]] = [[0.1, -2, 3.5, 7, 7, 1e-7], [42, -0.0]]
  var outputs: [OutputValues] { floats.map { OutputValues(floats: $0) } }

  func testJSONOutputsCarryShapesAndExactFloats() throws {
    let r = InferenceResponse(modelName: "m", modelVersion: "1", request: try request(""), signature: signature, outputs: outputs, labels: nil)
    XCTAssertNil(r.headerLength)
    XCTAssertEqual(
      String(decoding: r.body, as: UTF8.self),
      #"{"model_name":"m","model_version":"1","id":"7","outputs":[{"name":"y","datatype":"FP32","shape":[2,3],"data":[0.1,-2.0,3.5,7.0,7.0,1e-07]},{"name":"z","datatype":"FP32","shape":[2,1],"data":[42.0,-0.0]}]}"#
    )
  }

  func testBinaryOutputsFollowTheHeaderInOrder() throws {
    let r = InferenceResponse(
      modelName: "m", modelVersion: "1", request: try request(#", "parameters": {"binary_data_output": true}, "outputs": [{"name": "z"}, {"name": "y"}]"#, id: nil),
      signature: signature, outputs: outputs, labels: nil
    )
    let header = try XCTUnwrap(r.headerLength)
    let json = try JSONParser.parse(r.body[0..<header])
    guard case .array(let items)? = json["outputs"] else { return XCTFail("outputs") }
    XCTAssertEqual(items.map { $0["name"] }, [.string("z"), .string("y")])
    XCTAssertEqual(items.map { $0["parameters"]?["binary_data_size"] }, [.number(8), .number(24)])
    XCTAssertNil(json["id"])
    let blob = Array(r.body[header...])
    let floats = stride(from: 0, to: blob.count, by: 4).map { i in
      Float(bitPattern: UInt32(blob[i]) | UInt32(blob[i + 1]) << 8 | UInt32(blob[i + 2]) << 16 | UInt32(blob[i + 3]) << 24)
    }
    XCTAssertEqual(floats.map(\.bitPattern), (self.floats[1] + self.floats[0]).map(\.bitPattern))
  }

  func testClassificationReturnsTheTopScoresWithLabels() throws {
    let r = InferenceResponse(
      modelName: "m", modelVersion: "1", request: try request(#", "outputs": [{"name": "y", "parameters": {"classification": 2}}]"#),
      signature: signature, outputs: outputs, labels: ["cat", "dog"]
    )
    let json = try JSONParser.parse(r.body)
    guard case .array(let items)? = json["outputs"] else { return XCTFail("outputs") }
    XCTAssertEqual(items[0]["datatype"], .string("BYTES"))
    XCTAssertEqual(items[0]["shape"], .array([.number(2), .number(2)]))
    // Item 0 scores [0.1, -2, 3.5]; item 1 [7, 7, 1e-7]: a tie keeps the lower index first; index 2 has no label.
    XCTAssertEqual(items[0]["data"], .array(["3.5:2", "0.1:0:cat", "7.0:0:cat", "7.0:1:dog"].map { .string($0) }))
  }

  /// A bool mask and int64 indices leave as BOOL and INT64: JSON booleans and integers (an index
  /// past 2^53 exactly), or their packed bytes in the binary extension.
  func testTypedOutputsKeepTheirDatatype() throws {
    let signature = ModelSignature(
      inputs: [.init(name: "x", itemShape: [1])],
      outputs: [.init(name: "y", itemShape: [3], datatype: .bool), .init(name: "z", itemShape: [1], datatype: .int64)],
      fixedBatch: nil)
    let indices: [Int64] = [9_007_199_254_740_993, -3]
    let outputs = [
      OutputValues(datatype: .bool, bytes: [1, 0, 0, 0, 1, 1]),
      OutputValues(datatype: .int64, bytes: indices.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }),
    ]
    func request(_ outputs: String) throws -> InferenceRequest {
      let json = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 1], "data": [0, 0]}]\#(outputs)}"#
      return try Array(json.utf8).withUnsafeBytes { try InferenceRequest(body: $0, headerLength: nil, signature: signature) }
    }
    let json = InferenceResponse(modelName: "m", modelVersion: "1", request: try request(""), signature: signature, outputs: outputs, labels: nil)
    XCTAssertEqual(
      String(decoding: json.body, as: UTF8.self),
      #"{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"BOOL","shape":[2,3],"data":[true,false,false,false,true,true]},{"name":"z","datatype":"INT64","shape":[2,1],"data":[9007199254740993,-3]}]}"#
    )
    let binary = InferenceResponse(
      modelName: "m", modelVersion: "1", request: try request(#", "parameters": {"binary_data_output": true}"#), signature: signature,
      outputs: outputs, labels: nil)
    let header = try XCTUnwrap(binary.headerLength)
    let parsed = try JSONParser.parse(binary.body[0..<header])
    guard case .array(let items)? = parsed["outputs"] else { return XCTFail("outputs") }
    XCTAssertEqual(items.map { $0["datatype"] }, [.string("BOOL"), .string("INT64")])
    XCTAssertEqual(items.map { $0["parameters"]?["binary_data_size"] }, [.number(6), .number(16)])
    XCTAssertEqual(Array(binary.body[header...]), outputs[0].bytes + outputs[1].bytes)
  }
}
