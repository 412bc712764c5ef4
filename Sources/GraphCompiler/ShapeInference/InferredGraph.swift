import GraphIR

/// The inferred element type and shape of one value of the graph.
public struct InferredValue: Equatable, Sendable {
  public enum Kind: String, Sendable {
    case input, initializer, node
  }

  public var name: String
  public var kind: Kind
  /// The producing node's name; nil for graph inputs and initializers.
  public var producer: String?
  /// The producing node's op type; nil for graph inputs and initializers.
  public var op: String?
  public var elementType: DataType
  public var shape: Shape
  /// The values of a small integer tensor when inference knows them all, even though its
  /// inputs are not constants (`Gather(Shape(x), 1)` of an `x` with a symbolic batch).
  public var knownIntegers: [Int]? = nil
}

/// Shapes for every value of a graph, in definition order: graph inputs,
/// initializers, then node outputs in (topologically sorted) node order.
public struct InferredGraph: Equatable, Sendable {
  public var name: String
  public var values: [InferredValue]
  public var inputs: [InferredValue]
  public var outputs: [InferredValue]
  /// The graph the shapes belong to, its nodes in topological order.
  public var graph: Graph

  private var index: [String: Int]

  init(name: String, values: [InferredValue], inputNames: [String], outputNames: [String], graph: Graph) {
    self.name = name
    self.values = values
    self.graph = graph
    var index: [String: Int] = [:]
    for (i, v) in values.enumerated() { index[v.name] = i }
    self.index = index
    inputs = inputNames.compactMap { index[$0].map { values[$0] } }
    outputs = outputNames.compactMap { index[$0].map { values[$0] } }
  }

  /// The value named `name`, if the graph has it.
  public subscript(name: String) -> InferredValue? {
    index[name].map { values[$0] }
  }
}
