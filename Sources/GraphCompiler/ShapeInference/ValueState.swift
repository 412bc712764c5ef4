import GraphIR

/// What inference knows about one value while it walks the graph.
struct ValueState {
  var elementType: DataType
  var shape: Shape
  /// The elements of a small integer tensor of rank 0 or 1, when known. They may be
  /// symbolic: this is how `Shape -> Gather -> Concat -> Reshape` keeps a batch `N`.
  var elements: [Dim]?
  /// The whole value when it is a constant (an initializer), for rules that read constant inputs.
  var constant: Tensor?

  init(_ elementType: DataType, _ shape: Shape, elements: [Dim]? = nil) {
    self.elementType = elementType
    self.shape = shape
    self.elements = elements
  }

  /// Largest integer tensor whose values are tracked.
  static let maxTrackedElements = 1024

  /// The state of a constant tensor; small integer tensors keep their values.
  init(constant t: Tensor) {
    var elements: [Dim]? = nil
    if t.dataType.isInteger, t.isLoaded, t.dims.count <= 1, t.count <= Self.maxTrackedElements {
      elements = t.int64s.map { Dim.fixed(Int($0)) }
    }
    self.init(t.dataType, t.shape, elements: elements)
    constant = t
  }

  /// Known elements as integers, when none is symbolic.
  var fixedElements: [Int]? {
    guard let elements else { return nil }
    return Shape(elements).fixedDims
  }
}
