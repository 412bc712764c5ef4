import GraphRuntime

/// An inference request decoded from the protocol's JSON (and the binary tensor
/// extension's data after it) and checked against a model's signature, so that what
/// reaches the batching queue can run.
public struct InferenceRequest: Sendable {
  /// The client's `id`, echoed in the response.
  public var id: String?
  /// Each input's values, batch first, in the order of the model's inputs.
  public var inputs: [[Float]]
  /// Batch items in this request (the first dimension of every input).
  public var batch: Int
  /// The outputs to return, in the order requested (every output when none were named).
  public var outputs: [RequestedOutput]
  /// Triton's `timeout` request parameter, in microseconds.
  public var timeoutMicroseconds: Int?

  /// One output to return, and how.
  public struct RequestedOutput: Sendable, Equatable {
    public var name: String
    /// Index among the model's outputs.
    public var index: Int
    /// Return the data after the JSON header instead of inside it (binary tensor extension).
    public var binary: Bool
    /// Return the top `k` classes as `"score:index[:label]"` strings (classification extension).
    public var classification: Int?
  }

  /// Decodes a request body.
  /// - Parameters:
  ///   - body: the whole HTTP body.
  ///   - headerLength: the `Inference-Header-Content-Length` header: the JSON is the first
  ///     this many bytes and binary tensor data follows; nil when the body is all JSON.
  ///   - signature: the model the request is for.
  /// - Throws: ``ServingError`` 400 naming the input, field or byte that is wrong.
  public init(body: UnsafeRawBufferPointer, headerLength: Int?, signature: ModelSignature) throws(ServingError) {
    let jsonLength = headerLength ?? body.count
    guard jsonLength >= 0, jsonLength <= body.count else {
      throw .badRequest("Inference-Header-Content-Length \(jsonLength) exceeds the body's \(body.count) bytes")
    }
    let root: JSONValue
    do { root = try JSONParser.parse(UnsafeRawBufferPointer(rebasing: body[0..<jsonLength])) } catch {
      throw .badRequest(error.message)
    }
    guard case .object = root else { throw .badRequest("the request must be a JSON object, got \(root.kind)") }

    switch root["id"] {
    case nil, .null?: id = nil
    case .string(let s)?: id = s
    case let other?: throw .badRequest("'id' must be a string, got \(other.kind)")
    }
    let parameters = try Self.parameters(root["parameters"], of: "the request")
    timeoutMicroseconds = try Self.integer(parameters["timeout"], "parameter 'timeout'")

    guard case .array(let items)? = root["inputs"] else {
      throw .badRequest("the request needs an 'inputs' array")
    }
    var binary = UnsafeRawBufferPointer(rebasing: body[jsonLength...])
    var byName: [String: (shape: [Int], values: [Float])] = [:]
    for (position, item) in items.enumerated() {
      let input = try Self.input(item, position: position, binary: &binary, jsonLength: jsonLength, signature: signature)
      guard byName[input.name] == nil else { throw .badRequest("input '\(input.name)' is given twice") }
      byName[input.name] = (input.shape, input.values)
    }
    guard binary.isEmpty else {
      throw .badRequest("\(binary.count) bytes of binary data after the inputs' binary_data_size total")
    }
    for name in byName.keys where !signature.inputs.contains(where: { $0.name == name }) {
      throw .badRequest("unknown input '\(name)'; the model's inputs are \(signature.inputs.map(\.name))")
    }
    var batch: Int? = nil
    inputs = []
    for expected in signature.inputs {
      guard let (shape, values) = byName[expected.name] else {
        throw .badRequest("missing input '\(expected.name)' of shape \(signature.protocolShape(expected))")
      }
      if let b = batch, b != shape[0] { throw .badRequest("inputs disagree on the batch size (\(b) and \(shape[0]))") }
      batch = shape[0]
      inputs.append(values)
    }
    self.batch = batch ?? 1

    let binaryByDefault = try Self.bool(parameters["binary_data_output"], "parameter 'binary_data_output'") ?? false
    outputs = try Self.outputs(root["outputs"], binaryByDefault: binaryByDefault, signature: signature)
  }

  // MARK: - Inputs

  private static func input(
    _ item: JSONValue, position: Int, binary: inout UnsafeRawBufferPointer, jsonLength: Int, signature: ModelSignature
  ) throws(ServingError) -> (name: String, shape: [Int], values: [Float]) {
    guard case .object = item else { throw .badRequest("inputs[\(position)] must be an object, got \(item.kind)") }
    guard case .string(let name)? = item["name"] else { throw .badRequest("inputs[\(position)] needs a string 'name'") }
    guard let expected = signature.inputs.first(where: { $0.name == name }) else {
      throw .badRequest("unknown input '\(name)'; the model's inputs are \(signature.inputs.map(\.name))")
    }
    guard case .string(let typeName)? = item["datatype"] else { throw .badRequest("input '\(name)' needs a string 'datatype'") }
    guard let datatype = TensorDatatype(rawValue: typeName) else {
      throw .badRequest(
        "input '\(name)' has datatype '\(typeName)'; accepted: \(TensorDatatype.allCases.map(\.rawValue).joined(separator: ", ")) (converted to FP32)"
      )
    }
    let shape = try Self.shape(item["shape"], of: name)
    let expectedShape = signature.protocolShape(expected)
    guard shape.count == expectedShape.count, Array(shape.dropFirst()) == expected.itemShape, shape[0] >= 1,
      signature.fixedBatch.map({ shape[0] == $0 }) ?? true
    else { throw .badRequest("input '\(name)' has shape \(shape), expected \(expectedShape)") }
    let count = shape.reduce(1, *)

    let parameters = try Self.parameters(item["parameters"], of: "input '\(name)'")
    if let size = try Self.integer(parameters["binary_data_size"], "input '\(name)' parameter 'binary_data_size'") {
      guard item["data"] == nil else { throw .badRequest("input '\(name)' has both 'data' and binary_data_size") }
      let (needed, overflow) = count.multipliedReportingOverflow(by: datatype.byteSize)
      guard !overflow, size == needed else {
        throw .badRequest("input '\(name)' binary_data_size is \(size) bytes; shape \(shape) of \(typeName) needs \(overflow ? "too many" : String(needed))")
      }
      guard size <= binary.count else {
        throw .badRequest("input '\(name)' binary_data_size is \(size) bytes but only \(binary.count) bytes of binary data remain")
      }
      let values = datatype.floats(fromBinary: UnsafeRawBufferPointer(rebasing: binary[0..<size]), count: count)
      binary = UnsafeRawBufferPointer(rebasing: binary[size...])
      return (name, shape, values)
    }
    guard let data = item["data"] else { throw .badRequest("input '\(name)' has neither 'data' nor binary_data_size") }
    var values: [Float] = []
    values.reserveCapacity(min(count, jsonLength))  // a shape claiming more values than the body holds fails below
    try flatten(data, into: &values, datatype: datatype, name: name, limit: count)
    guard values.count == count else {
      throw .badRequest("input '\(name)' has \(values.count) values; shape \(shape) needs \(count)")
    }
    return (name, shape, values)
  }

  /// Shapes are arrays of integers representable as unsigned 64-bit values; their
  /// product must fit an Int.
  private static func shape(_ value: JSONValue?, of name: String) throws(ServingError) -> [Int] {
    guard case .array(let dims)? = value else { throw .badRequest("input '\(name)' needs a 'shape' array") }
    var shape: [Int] = []
    var product = 1
    for d in dims {
      guard case .number(let x) = d, x == x.rounded(), x >= 0, x < 9.2e18 else {
        throw .badRequest("input '\(name)' shape must hold non-negative integers")
      }
      shape.append(Int(x))
      let (p, overflow) = product.multipliedReportingOverflow(by: Int(x))
      guard !overflow else { throw .badRequest("input '\(name)' shape has too many elements") }
      product = p
    }
    return shape
  }

  /// Appends the elements of `data`, flat or nested to any depth, stopping with an error
  /// as soon as more than `limit` arrive.
  private static func flatten(
    _ data: JSONValue, into values: inout [Float], datatype: TensorDatatype, name: String, limit: Int
  ) throws(ServingError) {
    if case .array(let items) = data {
      for item in items { try flatten(item, into: &values, datatype: datatype, name: name, limit: limit) }
      return
    }
    guard let x = datatype.float(fromJSON: data) else {
      throw .badRequest("input '\(name)' of datatype \(datatype.rawValue) holds \(data.kind) that is not a \(datatype.rawValue) value")
    }
    guard values.count < limit else { throw .badRequest("input '\(name)' has more values than its shape holds (\(limit))") }
    values.append(x)
  }

  // MARK: - Outputs

  private static func outputs(
    _ value: JSONValue?, binaryByDefault: Bool, signature: ModelSignature
  ) throws(ServingError) -> [RequestedOutput] {
    guard let value else {
      return signature.outputs.enumerated().map { RequestedOutput(name: $1.name, index: $0, binary: binaryByDefault, classification: nil) }
    }
    guard case .array(let items) = value else { throw .badRequest("'outputs' must be an array, got \(value.kind)") }
    var requested: [RequestedOutput] = []
    for (position, item) in items.enumerated() {
      guard case .string(let name)? = item["name"] else { throw .badRequest("outputs[\(position)] needs a string 'name'") }
      guard let index = signature.outputs.firstIndex(where: { $0.name == name }) else {
        throw .badRequest("unknown output '\(name)'; the model's outputs are \(signature.outputs.map(\.name))")
      }
      guard !requested.contains(where: { $0.name == name }) else { throw .badRequest("output '\(name)' is requested twice") }
      let parameters = try Self.parameters(item["parameters"], of: "output '\(name)'")
      let binary = try Self.bool(parameters["binary_data"], "output '\(name)' parameter 'binary_data'") ?? binaryByDefault
      let classes = try Self.integer(parameters["classification"], "output '\(name)' parameter 'classification'")
      if let classes, classes < 1 { throw .badRequest("output '\(name)' parameter 'classification' must be at least 1") }
      requested.append(RequestedOutput(name: name, index: index, binary: binary, classification: classes))
    }
    return requested
  }

  // MARK: - Parameters

  private static func parameters(_ value: JSONValue?, of owner: String) throws(ServingError) -> JSONValue {
    switch value {
    case nil, .null?: return .object([])
    case .object?: return value!
    case let other?: throw .badRequest("'parameters' of \(owner) must be an object, got \(other.kind)")
    }
  }

  private static func integer(_ value: JSONValue?, _ what: String) throws(ServingError) -> Int? {
    guard let value else { return nil }
    guard case .number(let x) = value, x == x.rounded(), x >= 0, x < 9.2e18 else {
      throw .badRequest("\(what) must be a non-negative integer, got \(value.kind)")
    }
    return Int(x)
  }

  private static func bool(_ value: JSONValue?, _ what: String) throws(ServingError) -> Bool? {
    guard let value else { return nil }
    guard case .bool(let b) = value else { throw .badRequest("\(what) must be a boolean, got \(value.kind)") }
    return b
  }
}
