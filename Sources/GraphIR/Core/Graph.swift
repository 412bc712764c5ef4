/// A named value's element type and (possibly symbolic) shape.
public struct ValueInfo: Equatable, Sendable {
  public var name: String
  public var elementType: DataType
  /// nil when the file gave no shape.
  public var shape: Shape?

  public init(name: String, elementType: DataType = .float, shape: Shape?) {
    self.name = name
    self.elementType = elementType
    self.shape = shape
  }
}

/// A computation graph: nodes in order, graph inputs and outputs, constants.
public struct Graph: Equatable, Sendable {
  public var name: String
  public var nodes: [Node]
  /// Runtime inputs (constants listed as inputs by IR-version-3 files are not here).
  public var inputs: [ValueInfo]
  public var outputs: [ValueInfo]
  /// Constant tensors by value name.
  public var initializers: [String: Tensor]
  /// Shape annotations for intermediate values found in the file.
  public var valueInfo: [String: ValueInfo]

  public init(
    name: String, nodes: [Node] = [], inputs: [ValueInfo] = [], outputs: [ValueInfo] = [],
    initializers: [String: Tensor] = [:], valueInfo: [String: ValueInfo] = [:]
  ) {
    self.name = name
    self.nodes = nodes
    self.inputs = inputs
    self.outputs = outputs
    self.initializers = initializers
    self.valueInfo = valueInfo
  }

  /// Initializer names in a stable order: first use by a node, then the rest sorted.
  public var initializerOrder: [String] {
    var seen = Set<String>()
    var order: [String] = []
    for node in nodes {
      for name in node.inputs where initializers[name] != nil && !seen.contains(name) {
        seen.insert(name)
        order.append(name)
      }
    }
    order += initializers.keys.filter { !seen.contains($0) }.sorted()
    return order
  }

  /// Index of the node producing each value.
  public var producers: [String: Int] {
    var map: [String: Int] = [:]
    for (i, node) in nodes.enumerated() {
      for out in node.outputs where !out.isEmpty { map[out] = i }
    }
    return map
  }

  /// Indices of the nodes reading each value.
  public var consumers: [String: [Int]] {
    var map: [String: [Int]] = [:]
    for (i, node) in nodes.enumerated() {
      for input in node.inputs where !input.isEmpty { map[input, default: []].append(i) }
    }
    return map
  }
}

/// A whole model file: the graph plus the versions it was written for.
public struct Model: Equatable, Sendable {
  public var irVersion: Int
  /// Opset version per domain ("" is the default ONNX domain).
  public var opsetImports: [String: Int]
  public var producerName: String
  public var producerVersion: String
  public var graph: Graph
  /// The external data files the model was read with (resolved paths); writers must not
  /// overwrite them. Where a model came from is not part of what it is: `==` ignores this.
  public var externalDataFiles: Set<String> = []

  public static func == (a: Model, b: Model) -> Bool {
    a.irVersion == b.irVersion && a.opsetImports == b.opsetImports && a.producerName == b.producerName
      && a.producerVersion == b.producerVersion && a.graph == b.graph
  }

  public init(
    graph: Graph, irVersion: Int = 8, opsetImports: [String: Int] = ["": 13],
    producerName: String = "graphc", producerVersion: String = "0.1"
  ) {
    self.graph = graph
    self.irVersion = irVersion
    self.opsetImports = opsetImports
    self.producerName = producerName
    self.producerVersion = producerVersion
  }

  /// The default-domain opset version.
  public var opsetVersion: Int { opsetImports[""] ?? opsetImports["ai.onnx"] ?? 1 }
}
