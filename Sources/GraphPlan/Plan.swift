/// A compiled model: what the compiler writes to `plan.bin` and the runtime executes.
///
/// All activations live in one arena of `Float`s. Every activation has the batch
/// as its leading dimension, so a plan compiled with a symbolic batch runs any
/// batch size: each buffer's offset and size are given per batch item and scale
/// linearly with the batch (see ``View``).
public struct Plan: Equatable, Sendable {
  /// The batch size the plan was compiled for, or nil when any batch runs.
  public var fixedBatch: Int?
  /// Arena size in floats per batch item.
  public var arenaFloatsPerItem: Int
  /// Graph inputs, in the order the graph declares them; the caller fills these views.
  public var inputs: [TensorBinding]
  /// Graph outputs, in the order the graph declares them; read back after the last step.
  public var outputs: [TensorBinding]
  /// The schedule, run in order; a step reads only views earlier steps (or inputs) wrote.
  public var steps: [Step]
  /// Floats in the weights section that ``WeightRef``s index (the weights travel
  /// beside the plan: a loaded plan maps them from the file, in place).
  public var weightCount: Int
  /// The compiler release and source model that made the plan.
  public var provenance: PlanProvenance

  /// Creates a plan from its parts; call ``validate(source:)`` before running one not built by the compiler.
  public init(
    fixedBatch: Int?, arenaFloatsPerItem: Int, inputs: [TensorBinding], outputs: [TensorBinding],
    steps: [Step], weightCount: Int, provenance: PlanProvenance = PlanProvenance()
  ) {
    self.provenance = provenance
    self.fixedBatch = fixedBatch
    self.arenaFloatsPerItem = arenaFloatsPerItem
    self.inputs = inputs
    self.outputs = outputs
    self.steps = steps
    self.weightCount = weightCount
  }
}

/// A named graph input or output and where it lives in the arena.
public struct TensorBinding: Equatable, Sendable {
  /// The tensor's name in the ONNX graph.
  public var name: String
  /// Where its values live; `dims` is the shape without the batch.
  public var view: View

  /// Binds `name` to `view`.
  public init(name: String, view: View) {
    self.name = name
    self.view = view
  }
}

/// A tensor in the arena, addressed per batch item.
///
/// Item `n` of the tensor starts at float `base * batch + n * itemStride + inner`
/// and holds `dims.product` contiguous floats. A plain buffer has
/// `itemStride == dims.product` and `inner == 0`; a channel slice of an in-place
/// Concat shares the concat's `base` and `itemStride` and starts at `inner`.
public struct View: Equatable, Sendable {
  /// Start of the buffer, in floats per batch item.
  public var base: Int
  /// Floats between consecutive batch items of the underlying buffer.
  public var itemStride: Int
  /// Offset of this view inside one item of the buffer.
  public var inner: Int
  /// Shape of one batch item (the batch dimension left out).
  public var dims: [Int]

  /// Creates a view; `inner` is 0 for a view that starts its buffer.
  public init(base: Int, itemStride: Int, inner: Int = 0, dims: [Int]) {
    self.base = base
    self.itemStride = itemStride
    self.inner = inner
    self.dims = dims
  }

  /// Floats in one batch item of this view.
  public var itemCount: Int {
    // A plain loop: the runtime asks per run, and an unspecialized (debug) `reduce` allocates.
    var count = 1, i = 0
    while i < dims.count {
      count *= dims[i]
      i += 1
    }
    return count
  }
}

/// A range of the plan's weights section (the floats ``Plan/weightCount`` counts).
public struct WeightRef: Equatable, Sendable {
  /// First float of the range, counted from the start of the weights.
  public var offset: Int
  /// Floats in the range.
  public var count: Int

  /// Refers to `count` floats starting at float `offset`.
  public init(offset: Int, count: Int) {
    self.offset = offset
    self.count = count
  }
}

/// One step of the schedule: a kernel, its operands and the graph nodes it stands for.
public struct Step: Equatable, Sendable {
  /// A readable name, usually the first graph node it came from.
  public var name: String
  /// Names of every graph node this step absorbed (e.g. conv, bn, add, relu).
  public var absorbed: [String]
  /// What the step computes, with its parameters.
  public var kernel: Kernel
  /// Operand views, in the order the kernel documents (input 0 is the main operand).
  public var inputs: [View]
  /// Where the result goes; may be a channel slice of a larger buffer.
  public var output: View

  /// Creates a step; `inputs` must be in the order its kernel expects.
  public init(name: String, absorbed: [String], kernel: Kernel, inputs: [View], output: View) {
    self.name = name
    self.absorbed = absorbed
    self.kernel = kernel
    self.inputs = inputs
    self.output = output
  }
}
