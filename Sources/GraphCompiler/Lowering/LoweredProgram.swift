import GraphPlan

/// The graph as kernel steps over named values, before memory is assigned: the
/// stage where buffer-sharing (and later layout and weight-packing) rewrites live.
struct LoweredProgram: CustomStringConvertible {
  /// A value's per-item shape, how many items it has, and whether it owns a buffer or aliases another.
  struct Value {
    enum Alias: Equatable {
      /// Same buffer and offset, other shape (reshape, flatten, in-place element-wise).
      case view(of: String)
      /// A channel slice of a concat's buffer starting `inner` floats into each item.
      case slice(of: String, inner: Int)
    }

    var dims: [Int]
    var alias: Alias?
    /// nil: one item per batch item; else the fixed item count of a value without the batch.
    var items: Int? = nil
    var itemCount: Int { dims.reduce(1, *) }

    init(dims: [Int], alias: Alias? = nil, items: Int? = nil) {
      self.dims = dims
      self.alias = alias
      self.items = items
    }
  }

  struct Step {
    var name: String
    var absorbed: [String]
    var kernel: Kernel
    var inputs: [String]
    var output: String
    /// A copy of one Concat input into its slice, which `concat-in-place` may remove.
    var isConcatCopy = false
  }

  var values: [String: Value] = [:]
  var steps: [Step] = []
  var inputs: [String] = []
  var outputs: [String] = []
  /// The element type of each input and output that is not float32 (a bool is float 0/1 in the arena).
  var types: [String: ElementType] = [:]
  /// Integer outputs folded to constants, and empty inputs and outputs (a 0 in the shape, any
  /// type): the plan holds their values, no step reads or writes them.
  var constantBindings: [String: (type: ElementType, shape: [Int], values: [Int64])] = [:]
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

  /// One line per step and per aliased value, for `--print-after` of the lowered passes.
  var description: String {
    func value(_ name: String) -> String {
      let dims = (values[name]?.items.map { "\($0)*" } ?? "") + PlanDescription.dims(values[name]?.dims ?? [])
      switch values[name]?.alias {
      case nil: return "\(name) \(dims)"
      case .view(let of)?: return "\(name) \(dims) (view of \(of))"
      case .slice(let of, let inner)?: return "\(name) \(dims) (slice of \(of) @\(inner))"
      }
    }
    var lines = ["lowered program: \(steps.count) steps, \(weights.data.count) weight floats"]
    for name in inputs { lines.append("  input  \(value(name))") }
    for (i, step) in steps.enumerated() {
      lines.append("  \(i) \(step.name): \(PlanDescription.summary(step.kernel)) [\(step.absorbed.joined(separator: " + "))] (\(step.inputs.joined(separator: ", "))) -> \(value(step.output))")
    }
    for name in outputs { lines.append("  output \(value(name))") }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// One rewrite of the lowered program: small, named, printable with `--print-after NAME`.
protocol LoweredPass: Sendable {
  var name: String { get }
  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws
}
