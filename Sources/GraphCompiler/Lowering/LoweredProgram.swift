import GraphPlan

/// The graph as kernel steps over named values, before memory is assigned.
struct LoweredProgram {
  /// A value's per-item shape and whether it owns a buffer or aliases another.
  struct Value {
    enum Alias: Equatable {
      /// Same buffer and offset, other shape (reshape, flatten, in-place element-wise).
      case view(of: String)
      /// A channel slice of a concat's buffer starting `inner` floats into each item.
      case slice(of: String, inner: Int)
    }

    var dims: [Int]
    var alias: Alias?
    var itemCount: Int { dims.reduce(1, *) }
  }

  struct Step {
    var name: String
    var absorbed: [String]
    var kernel: Kernel
    var inputs: [String]
    var output: String
  }

  var values: [String: Value] = [:]
  var steps: [Step] = []
  var inputs: [String] = []
  var outputs: [String] = []
  var weights = WeightPacker()

  /// The value that owns the buffer `name` lives in, and the offset of `name` inside one item of it.
  func root(of name: String) -> (root: String, inner: Int) {
    var current = name, inner = 0
    while let alias = values[current]?.alias {
      switch alias {
      case .view(let of): current = of
      case .slice(let of, let offset): current = of; inner += offset
      }
    }
    return (current, inner)
  }
}
