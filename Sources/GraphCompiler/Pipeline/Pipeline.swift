import GraphIR
import GraphPlan

/// The compiler: the pass pipeline in one place, then lowering and memory planning.
public enum Pipeline {
  /// Graph passes in order. Names are what `--print-after` takes.
  public static let passes: [Pass] = [
    InferShapes(),
    ConstantFolding(),
    RemoveNoOps(),
    DeadCodeElimination(),
    InferShapes(),  // again: folding may have turned Reshape shapes into constants
    StridedViews(),
    DecomposeEinsum(),
    FuseGELU(),
    ChannelsFirst(),
    FoldBatchNorm(),
    FuseActivations(),
    Views(),
    ShapeInputs(),
    BatchToFront(),
    BatchProducts(),
  ]

  /// Passes over the lowered program, in order, between `lower` and `plan-memory`.
  static let loweredPasses: [any LoweredPass] = [
    ConcatInPlace(),
    PointConvsAsDense(),
    ReuseDyingInputs(),
    SelectWinograd(),
    PackWeights(),
  ]

  /// Every stage in order, as `--print-after` and `--time-passes` name them.
  public static var passNames: [String] { passes.map(\.name) + ["lower"] + loweredPasses.map(\.name) + ["plan-memory"] }

  public struct Options: Sendable {
    /// Fixes the batch symbol(s) of the inputs; nil keeps the batch symbolic.
    public var batch: Int?
    /// Budgets for the nodes and the constants folded at compile time (see ``Limits``).
    public var limits: Limits
    /// Whether 3x3 convs may run as Winograd where it is faster. Its transforms round more than
    /// a direct sum (each output adds up 36 products of transformed values, some scaled by up to
    /// 8), so a deep network that amplifies float32 rounding lands further from an exact result:
    /// false keeps those 3x3 convs on im2col + GEMM, at direct convolution's error and speed.
    public var winograd: Bool
    public init(batch: Int? = nil, limits: Limits = .machine, winograd: Bool = true) {
      self.batch = batch
      self.limits = limits
      self.winograd = winograd
    }
  }

  public struct Output {
    public var plan: Plan
    public var weights: [Float]
    public var report: CompileReport
    /// The graph after the last pass, with shapes.
    public var graph: Graph
    public var shapes: [String: Shape]
    /// What each fused node absorbed, by node name.
    public var fusions: [String: Fusion]
  }

  /// Compiles `model`; `observe` sees the context after each pass (for `--print-after`).
  public static func compile(
    _ model: Model, options: Options = Options(), observe: (String, CompilationContext) throws -> Void = { _, _ in }
  ) throws -> Output {
    let bindings = try batchBindings(model.graph, options.batch)
    do {
      try options.limits.check("the model's node count", count: model.graph.nodes.count, against: \.maxNodes)
    } catch { throw GraphError("", error.message) }
    let context = CompilationContext(model: model, bindings: bindings, limits: options.limits, winograd: options.winograd)
    context.report.nodesIn = model.graph.nodes.count
    for pass in passes {
      try pass.run(context)
      try observe(pass.name, context)
    }
    let lowering = Lowering(context: context)
    var program = try lowering.run()
    context.lowered = program
    try observe("lower", context)
    for pass in loweredPasses {
      try pass.run(&program, context)
      context.lowered = program
      try observe(pass.name, context)
    }
    // Added to what the lowered passes counted (dense-point-convs counts the convs it took).
    context.report.convAlgorithms.merge(SelectWinograd.algorithms(program, winograd: options.winograd), uniquingKeysWith: +)
    // Without a batch symbol every value has its fixed shape: the plan runs the one batch its
    // first input leads with (so batch tools pad to it); an empty input leads with nothing.
    let firstLeading = model.graph.inputs.lazy.compactMap { context.shapes[$0.name]?.dims.first?.value }.first { $0 > 0 }
    let fixedBatch = options.batch ?? (lowering.batch == nil ? firstLeading ?? 1 : nil)
    let shapes = Dictionary((program.inputs + program.outputs).compactMap { name in
      program.values[name]?.items != nil ? context.shapes[name]?.fixedDims.map { (name, $0) } : nil
    }, uniquingKeysWith: { a, _ in a })
    let (plan, weights) = try PlanBuilder.build(program, fixedBatch: fixedBatch, wholeShapes: shapes, report: &context.report)
    context.planListing = PlanDescription.listing(plan)
    try observe("plan-memory", context)
    return Output(plan: plan, weights: weights, report: context.report, graph: context.graph, shapes: context.shapes, fusions: context.fusions)
  }

  /// `--batch N` binds the leading symbol of every graph input to N.
  public static func batchBindings(_ graph: Graph, _ batch: Int?) throws -> [String: Int] {
    guard let batch else { return [:] }
    guard batch > 0 else { throw GraphError("--batch", "batch must be a positive number, got \(batch)") }
    var bindings: [String: Int] = [:]
    for input in graph.inputs {
      if case .symbol(let s)? = input.shape?.dims.first { bindings[s] = batch }
    }
    return bindings
  }
}

/// Fills in the shape of every value (and keeps it for later passes).
public struct InferShapes: Pass {
  public let name = "infer-shapes"
  public init() {}

  public func run(_ context: CompilationContext) throws {
    let inferred = try ShapeInference.infer(context.model, bindings: context.bindings)
    context.graph = inferred.graph  // topologically sorted: the schedule follows this order
    context.shapes = Dictionary(inferred.values.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
    context.elementTypes = Dictionary(inferred.values.map { ($0.name, $0.elementType) }, uniquingKeysWith: { a, _ in a })
    context.knownIntegers = Dictionary(
      inferred.values.compactMap { v in v.knownIntegers.map { (v.name, $0) } }, uniquingKeysWith: { a, _ in a })
  }
}
