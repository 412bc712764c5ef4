/// A small builder for writing graphs in code (the zoo, tests).
///
/// ```swift
/// let b = GraphBuilder(name: "tiny")
/// let x = b.input("input", [.symbol("N"), 3, 8, 8])
/// let w = b.constant("conv.weight", Tensor(floats: weights, dims: [4, 3, 3, 3]))
/// let y = b.node("Conv", name: "conv", inputs: [x, w], attributes: ["pads": .ints([1, 1, 1, 1])])
/// b.output(y)
/// let graph = b.build()
/// ```
public final class GraphBuilder {
  public private(set) var graph: Graph
  private var usedNames = Set<String>()

  public init(name: String) {
    graph = Graph(name: name)
  }

  /// Declares a runtime input.
  @discardableResult
  public func input(_ name: String, _ shape: Shape, type: DataType = .float) -> String {
    graph.inputs.append(ValueInfo(name: name, elementType: type, shape: shape))
    return name
  }

  /// Adds a constant (an initializer) and returns its value name.
  @discardableResult
  public func constant(_ name: String, _ tensor: Tensor) -> String {
    precondition(graph.initializers[name] == nil, "constant '\(name)' defined twice")
    graph.initializers[name] = tensor
    return name
  }

  /// Appends a node with one output named like the node; returns that output.
  @discardableResult
  public func node(_ opType: String, name: String, inputs: [String], attributes: [String: Attribute] = [:]) -> String {
    node(opType, name: name, inputs: inputs, outputs: [name], attributes: attributes)[0]
  }

  /// Appends a node with the given outputs.
  @discardableResult
  public func node(
    _ opType: String, name: String, inputs: [String], outputs: [String], attributes: [String: Attribute] = [:]
  ) -> [String] {
    precondition(!usedNames.contains(name), "node '\(name)' defined twice")
    usedNames.insert(name)
    graph.nodes.append(Node(name: name, opType: opType, inputs: inputs, outputs: outputs, attributes: attributes))
    return outputs
  }

  /// Marks a value as a graph output; its shape is left for shape inference unless given.
  public func output(_ name: String, shape: Shape? = nil, type: DataType = .float) {
    graph.outputs.append(ValueInfo(name: name, elementType: type, shape: shape))
  }

  public func build() -> Graph { graph }
}
