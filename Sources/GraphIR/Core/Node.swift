/// One operation of the graph, with ONNX semantics.
public struct Node: Equatable, Sendable {
  public var name: String
  public var opType: String
  /// Operator domain; "" (or "ai.onnx") is the default ONNX domain.
  public var domain: String
  /// Input value names; "" marks an omitted optional input.
  public var inputs: [String]
  public var outputs: [String]
  public var attributes: [String: Attribute]

  public init(
    name: String, opType: String, domain: String = "",
    inputs: [String], outputs: [String], attributes: [String: Attribute] = [:]
  ) {
    self.name = name
    self.opType = opType
    self.domain = domain
    self.inputs = inputs
    self.outputs = outputs
    self.attributes = attributes
  }

  /// `node 'conv1' (Conv)`: how errors name a node.
  public var label: String {
    let shown = name.isEmpty ? (outputs.first ?? "?") : name
    return "node '\(shown)' (\(opType))"
  }

  /// Input `i` when present and not the empty "omitted" marker.
  public func input(_ i: Int) -> String? {
    i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil
  }
}

// MARK: - Typed attribute access

extension Node {
  public func int(_ key: String, default value: Int) throws -> Int {
    try int(key) ?? value
  }

  public func int(_ key: String) throws -> Int? {
    switch attributes[key] {
    case nil: return nil
    case .int(let v)?: return v
    case let other?: throw wrongKind(key, other, expected: "INT")
    }
  }

  public func float(_ key: String, default value: Float) throws -> Float {
    switch attributes[key] {
    case nil: return value
    case .float(let v)?: return v
    case .int(let v)?: return Float(v)
    case let other?: throw wrongKind(key, other, expected: "FLOAT")
    }
  }

  public func ints(_ key: String) throws -> [Int]? {
    switch attributes[key] {
    case nil: return nil
    case .ints(let v)?: return v
    case let other?: throw wrongKind(key, other, expected: "INTS")
    }
  }

  public func floats(_ key: String) throws -> [Float]? {
    switch attributes[key] {
    case nil: return nil
    case .floats(let v)?: return v
    case let other?: throw wrongKind(key, other, expected: "FLOATS")
    }
  }

  public func string(_ key: String, default value: String) throws -> String {
    switch attributes[key] {
    case nil: return value
    case .string(let v)?: return v
    case let other?: throw wrongKind(key, other, expected: "STRING")
    }
  }

  public func tensor(_ key: String) throws -> Tensor? {
    switch attributes[key] {
    case nil: return nil
    case .tensor(let v)?: return v
    case let other?: throw wrongKind(key, other, expected: "TENSOR")
    }
  }

  private func wrongKind(_ key: String, _ found: Attribute, expected: String) -> GraphError {
    .node(self, "attribute '\(key)' should be \(expected), found \(found.kindName)")
  }
}
