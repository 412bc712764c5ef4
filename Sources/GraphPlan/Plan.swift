/// A compiled model: what the compiler writes to `plan.bin` and the runtime executes.
///
/// All activations live in one arena of `Float`s, in two regions: values that have the batch
/// as their leading dimension live in the first, whose offsets and sizes are given per batch
/// item and scale linearly with the batch, so a plan compiled with a symbolic batch runs any
/// batch size; values without the batch (a model with fixed shapes, a value computed from
/// constants) live in the second, after it, at fixed offsets and sizes (see ``View``). The
/// arena of a run at batch `b` is `arenaFloatsPerItem * b + arenaFixedFloats` floats.
public struct Plan: Equatable, Sendable {
  /// The batch size the plan was compiled for, or nil when any batch runs.
  public var fixedBatch: Int?
  /// Size of the arena's batched region in floats per batch item.
  public var arenaFloatsPerItem: Int
  /// Size of the arena's fixed region (values without the batch), in floats.
  public var arenaFixedFloats: Int
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
    fixedBatch: Int?, arenaFloatsPerItem: Int, arenaFixedFloats: Int = 0, inputs: [TensorBinding], outputs: [TensorBinding],
    steps: [Step], weightCount: Int, provenance: PlanProvenance = PlanProvenance()
  ) {
    self.provenance = provenance
    self.fixedBatch = fixedBatch
    self.arenaFloatsPerItem = arenaFloatsPerItem
    self.arenaFixedFloats = arenaFixedFloats
    self.inputs = inputs
    self.outputs = outputs
    self.steps = steps
    self.weightCount = weightCount
  }
}

/// A named graph input or output, where it lives in the arena, and its element type.
public struct TensorBinding: Equatable, Sendable {
  /// The tensor's name in the ONNX graph.
  public var name: String
  /// Where its values live; `dims` is the shape without the batch (or, for a value without the
  /// batch, without its leading dimension, which is `view.items`). A ``constant`` output has no
  /// place in the arena: its view only gives its shape (base 0, inner 0, dense items).
  public var view: View
  /// The whole shape of a tensor without the batch, as the model declares it (`[]` for a
  /// scalar); nil for a batched tensor, whose shape is `[batch] + view.dims`.
  public var shape: [Int]?
  /// What the tensor holds outside the runtime: float32, or a bool kept as float 0/1 in the
  /// arena, or (outputs only) an integer type: with ``constant``, or int64 indices the arena
  /// holds as exact floats.
  public var elementType: ElementType
  /// The values of an integer output folded at compile time (C order; int32 ones within its
  /// range); nil for every other binding, whose values are in the arena.
  public var constant: [Int64]?

  /// Binds `name` to `view`; `shape` is the whole shape of a tensor without the batch.
  public init(name: String, view: View, shape: [Int]? = nil, elementType: ElementType = .float32, constant: [Int64]? = nil) {
    self.name = name
    self.view = view
    self.shape = shape
    self.elementType = elementType
    self.constant = constant
  }

  /// An integer output folded to `values` of `shape`: its view gives the shape only. Or, with no
  /// values and a 0 in `shape`, an empty tensor of any type (an input or output that holds
  /// nothing): its view is ``emptyView``, as no view is empty.
  public static func constant(name: String, shape: [Int], elementType: ElementType, values: [Int64]) -> TensorBinding {
    if shape.contains(0) { return TensorBinding(name: name, view: emptyView, shape: shape, elementType: elementType, constant: []) }
    let dims = shape.count > 1 ? Array(shape.dropFirst()) : []
    let view = View(base: 0, itemStride: max(dims.reduce(1, *), 1), dims: dims, items: shape.first ?? 1)
    return TensorBinding(name: name, view: view, shape: shape, elementType: elementType, constant: values)
  }

  /// The view of an empty tensor's binding: it names no place in the arena.
  public static let emptyView = View(base: 0, itemStride: 1, dims: [], items: 1)

  /// Whether the tensor has no elements (a 0 in its shape): the runtime reads and writes nothing for it.
  public var isEmpty: Bool { constant?.isEmpty == true && shape?.contains(0) == true }

  /// The tensor's shape at `batch`.
  public func shape(batch: Int) -> [Int] { shape ?? [batch] + view.dims }
}

/// A tensor in the arena, addressed per item.
///
/// A batched view (`items == 0`) has one item per batch item: item `n` starts at float
/// `base * batch + n * itemStride + inner`. A view without the batch (`items >= 1`) lives in
/// the arena's fixed region and has `items` items: item `n` starts at float
/// `arenaFloatsPerItem * batch + base + n * itemStride + inner`; with `items == 1` a step over
/// more items reads the same item for each (a broadcast operand). Each item holds
/// `dims.product` contiguous floats. A plain buffer has `itemStride == dims.product` and
/// `inner == 0`; a channel slice of an in-place Concat shares the concat's `base` and
/// `itemStride` and starts at `inner`.
public struct View: Equatable, Sendable {
  /// Start of the buffer: in floats per batch item for a batched view, in floats from the
  /// start of the fixed region otherwise.
  public var base: Int
  /// Floats between consecutive batch items of the underlying buffer.
  public var itemStride: Int
  /// Offset of this view inside one item of the buffer.
  public var inner: Int
  /// Shape of one item (the batch, or the leading dimension, left out).
  public var dims: [Int]
  /// 0 for a batched view; else the fixed number of items (a view without the batch).
  public var items: Int

  /// Creates a view; `inner` is 0 for a view that starts its buffer, `items` 0 for a batched one.
  public init(base: Int, itemStride: Int, inner: Int = 0, dims: [Int], items: Int = 0) {
    self.base = base
    self.itemStride = itemStride
    self.inner = inner
    self.dims = dims
    self.items = items
  }

  /// Whether the view has one item per batch item.
  public var isBatched: Bool { items == 0 }

  /// The number of items at `batch`.
  public func itemCount(batch: Int) -> Int { items == 0 ? batch : items }

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
