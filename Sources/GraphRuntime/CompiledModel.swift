#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GraphPlan

/// A compiled plan loaded for execution. Immutable and thread-safe: one model can
/// serve several ``Session``s on several threads at once.
///
/// ```swift
/// let model = try CompiledModel(contentsOfFile: "plan.bin")
/// let session = try model.makeSession(threads: 2)
/// let outputs = try session.run(["input": FloatTensor(shape: [1, 1, 28, 28], values: pixels)])
/// ```
public final class CompiledModel: @unchecked Sendable {
  /// The validated plan: steps, buffers and bindings.
  package let plan: Plan
  /// The weights, used in place (memory-mapped from the file, or owned).
  let weights: UnsafePointer<Float>
  /// Each step's window taps or index layout, worked out once here: a run allocates nothing.
  let prepared: [PreparedStep]
  private let release: () -> Void
  /// The first output that is not float32: the float API (`Session.run`) refuses such a model.
  let nonFloatOutput: TensorBinding?
  /// The budgets sessions and input files are checked against.
  public let limits: Limits

  /// Maps a `plan.bin` file and validates it. The weights are used in place, not copied.
  /// - Parameter path: a file written by `graphc compile`.
  /// - Throws: ``RuntimeError/file(path:reason:)`` when it cannot be opened or mapped,
  ///   ``RuntimeError/format(_:)`` for a truncated or corrupted plan, and
  ///   ``RuntimeError/unsupported(_:)`` for another format version; the message names the file.
  /// - Parameter limits: the budgets sessions and inputs are held to (default: from this machine's memory).
  public init(contentsOfFile path: String, limits: Limits = .machine) throws(RuntimeError) {
    self.limits = limits
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw .file(path: path, reason: "cannot open plan (\(String(cString: strerror(errno))))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      throw .file(path: path, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    guard size > 0 else { throw .format("\(path): not a plan file (empty)") }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw .file(path: path, reason: "cannot map plan (\(String(cString: strerror(errno))))")
    }
    do {
      let (plan, offset) = try PlanReader.decode(UnsafeRawBufferPointer(start: base, count: size), source: path)
      self.plan = plan
      self.nonFloatOutput = plan.outputs.first { $0.elementType != .float32 }
      self.weights = UnsafeRawPointer(base + offset).assumingMemoryBound(to: Float.self)
      self.prepared = try PreparedStep.prepare(plan)
      self.release = { munmap(base, size) }
    } catch {
      munmap(base, size)
      throw Self.runtimeError(error)
    }
  }

  /// Wraps a plan and its weights held in memory (as the compiler produces them).
  package init(plan: Plan, weights: [Float], limits: Limits = .machine) throws(RuntimeError) {
    self.limits = limits
    guard weights.count == plan.weightCount else {
      throw .format("plan expects \(plan.weightCount) weights, got \(weights.count)")
    }
    do { try plan.validate() } catch { throw Self.runtimeError(error) }
    self.prepared = try PreparedStep.prepare(plan)
    let buffer = allocateFloats(weights.count)
    buffer.initialize(from: weights, count: weights.count)
    self.plan = plan
    self.nonFloatOutput = plan.outputs.first { $0.elementType != .float32 }
    self.weights = UnsafePointer(buffer)
    self.release = { buffer.deallocate() }
  }

  deinit { release() }

  /// The plan library's errors in the runtime's terms.
  private static func runtimeError(_ error: any Error) -> RuntimeError {
    if let e = error as? PlanError { return RuntimeError(e) }
    return error as? RuntimeError ?? .format("\(error)")
  }

  /// Input names and shapes; the batch dimension is `nil` when any batch size runs. An input
  /// without the batch reports its own leading dimension as its batch (1 for a scalar).
  public var inputs: [(name: String, batch: Int?, itemShape: [Int])] { plan.inputs.map(describe) }

  /// Output names and per-item shapes (an output without the batch: as for ``inputs``).
  public var outputs: [(name: String, batch: Int?, itemShape: [Int])] { plan.outputs.map(describe) }

  /// The input called `name` (its batch, `nil` when any runs, and item shape), or nil.
  public func input(named name: String) -> (name: String, batch: Int?, itemShape: [Int])? {
    plan.inputs.first { $0.name == name }.map(describe)
  }

  /// The output called `name` (its batch, `nil` when any runs, and item shape), or nil.
  public func output(named name: String) -> (name: String, batch: Int?, itemShape: [Int])? {
    plan.outputs.first { $0.name == name }.map(describe)
  }

  /// The whole shape of input or output `name` at `batch` (as the model declares it: a tensor
  /// without the batch has its own fixed shape, a scalar `[]`), or nil for an unknown name.
  public func shape(of name: String, batch: Int) -> [Int]? {
    (plan.inputs + plan.outputs).first { $0.name == name }?.shape(batch: batch)
  }

  /// Whether input or output `name` has the batch as its leading dimension (false for a tensor
  /// of fixed shape, and for an unknown name).
  public func hasBatch(_ name: String) -> Bool {
    (plan.inputs + plan.outputs).first { $0.name == name }.map { $0.shape == nil } ?? false
  }

  /// The element type of input or output `name` (an input is float32, or bool fed as 0/1), or nil for an unknown name.
  public func elementType(of name: String) -> ElementType? {
    (plan.inputs + plan.outputs).first { $0.name == name }?.elementType
  }

  private func describe(_ b: TensorBinding) -> (name: String, batch: Int?, itemShape: [Int]) {
    guard let shape = b.shape else { return (b.name, plan.fixedBatch, b.view.dims) }
    return (b.name, shape.first ?? 1, Array(shape.dropFirst()))
  }

  /// The compiler release and the source model (file name, SHA-256) the plan was compiled from.
  public var provenance: PlanProvenance { plan.provenance }

  /// Whether output `name` is already a probability distribution over its last axis (the
  /// model ends in a Softmax there), so a caller should not apply softmax again.
  public func outputIsSoftmax(_ name: String) -> Bool {
    guard let binding = plan.outputs.first(where: { $0.name == name }),
      let producer = plan.steps.last(where: { $0.output == binding.view }),
      case .softmax(let axis) = producer.kernel
    else { return false }
    return axis == binding.view.dims.count - 1
  }

  /// Creates a session with its own arena and `threads` threads (the caller included).
  /// - Throws: ``RuntimeError/input(_:)`` unless `threads` is between 1 and 256;
  ///   ``RuntimeError/limit(_:)`` when the arena (at the plan's fixed batch, else 1) and the
  ///   convolution workspace are over `Limits.maxArenaBytes`.
  public func makeSession(threads: Int = 1) throws(RuntimeError) -> Session {
    guard threads >= 1, threads <= 256 else { throw .input("thread count \(threads) must be between 1 and 256") }
    let batch = plan.fixedBatch ?? 1
    _ = try arenaFloats(batch: batch, workspace: StepExecutor.workspaceCount(plan, threads: threads, batch: batch))
    return Session(model: self, threads: threads)
  }

  /// The arena's floats for `batch` items, checked with the workspace against `Limits.maxArenaBytes`
  /// before anything is allocated.
  func arenaFloats(batch: Int, workspace: Int) throws(RuntimeError) -> Int {
    let (batched, overflow1) = plan.arenaFloatsPerItem.multipliedReportingOverflow(by: batch)
    let (arena, overflow3) = batched.addingReportingOverflow(plan.arenaFixedFloats)
    let overflow = overflow1 || overflow3
    let (total, overflow2) = arena.addingReportingOverflow(workspace)
    do {
      try limits.check(
        "the arena for batch \(batch) (\(overflow ? "too many" : String(arena)) floats) and the convolution workspace (\(workspace) floats)",
        count: overflow || overflow2 ? -1 : total, elementSize: 4, against: \.maxArenaBytes)
    } catch { throw .limit(error) }
    return arena
  }
}
