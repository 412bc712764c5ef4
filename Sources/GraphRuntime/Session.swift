#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GraphPlan

/// Runs a ``CompiledModel``: owns one arena and one thread pool. Use a session
/// from one thread at a time; create one session per concurrent caller.
///
/// The arena is sized for the largest batch seen so far, so repeated runs at
/// the same batch allocate nothing but the returned output arrays, and
/// `run(_:into:)` not even those.
public final class Session {
  /// The model this session runs (shared, read-only, with any other sessions of it).
  public let model: CompiledModel
  let pool: ThreadPool
  private var arena: UnsafeMutablePointer<Float>
  private var capacityBatch = 0
  /// Convolutions' scratch for runs of up to `capacityBatch` items (`StepExecutor.workspaceCount`).
  var workspace: UnsafeMutablePointer<Float>

  init(model: CompiledModel, threads: Int) {
    self.model = model
    self.pool = ThreadPool(threads: threads)
    self.arena = allocateFloats(1)
    self.workspace = allocateFloats(1)
  }

  deinit {
    arena.deallocate()
    workspace.deallocate()
  }

  /// Number of threads kernels run on.
  public var threads: Int { pool.threads }

  /// The instruction set the kernels run with in this process (`avx512`, `avx2+fma` or `x86-64`).
  public var instructionSet: String { InstructionSet.current.rawValue }

  /// Runs the model on `inputs` (by name; shapes must be `[batch] + the input's item shape`).
  /// - Returns: every output by name, with shape `[batch] + item shape`.
  /// - Throws: ``RuntimeError/input(_:)`` for a missing or unknown input, one of the wrong shape,
  ///   a batch the plan was not compiled for, or a model with an output that is not float32
  ///   (a bool or integer one: use `runTyped(_:)`).
  public func run(_ inputs: [String: FloatTensor]) throws(RuntimeError) -> [String: FloatTensor] {
    try run(inputs, clock: nil)
  }

  /// Runs the model on `inputs` like `run(_:)` and returns every output as its own element type:
  /// float32, bool (one byte per element, 0 or 1), int64 (a constant or indices) or an int32 constant.
  /// - Throws: as `run(_:)`, but takes a model with outputs of any type.
  public func runTyped(_ inputs: [String: FloatTensor]) throws(RuntimeError) -> [String: TypedTensor] {
    var outputs: [String: TypedTensor] = [:]
    try runTyped(inputs, into: &outputs)
    return outputs
  }

  /// `runTyped(_:)` for a model with one input.
  public func runTyped(_ input: FloatTensor) throws(RuntimeError) -> [String: TypedTensor] {
    guard model.plan.inputs.count == 1, let name = model.plan.inputs.first?.name else {
      throw .input("the model has \(model.plan.inputs.count) inputs \(model.plan.inputs.map(\.name)); pass them by name")
    }
    return try runTyped([name: input])
  }

  /// `run(_:into:)` for outputs of any type: writes every output into `outputs[name]`, reusing the
  /// tensors already there (of the right type and shape), so repeated runs allocate nothing.
  public func runTyped(_ inputs: [String: FloatTensor], into outputs: inout [String: TypedTensor]) throws(RuntimeError) {
    try checkNames(inputs)
    let batch = try load { inputs[$0] }
    execute(batch: batch, clock: nil)
    store(batch: batch, into: &outputs)
  }

  /// Runs a model that has one input on `input` (shape `[batch] + the input's item shape`).
  /// - Returns: every output by name, with shape `[batch] + item shape`.
  /// - Throws: ``RuntimeError/input(_:)`` when the model has several inputs (pass them by name
  ///   to `run(_:)` with a dictionary) or `input` does not fit.
  public func run(_ input: FloatTensor) throws(RuntimeError) -> [String: FloatTensor] {
    var outputs: [String: FloatTensor] = [:]
    try run(input, into: &outputs)
    return outputs
  }

  /// Runs the model and writes every output into `outputs[name]`, reusing the tensors already there:
  /// once `outputs` holds tensors of the right shapes (after the first call, at the same batch size),
  /// a run allocates nothing at all — keep one dictionary per session and pass it every time.
  /// A missing output or one of another shape is (re)allocated.
  /// - Throws: as `run(_:)` with a dictionary.
  public func run(_ inputs: [String: FloatTensor], into outputs: inout [String: FloatTensor]) throws(RuntimeError) {
    try checkFloatOutputs()
    try checkNames(inputs)
    let batch = try load { inputs[$0] }
    execute(batch: batch, clock: nil)
    store(batch: batch, into: &outputs)
  }

  /// `run(_:into:)` for a model with one input.
  public func run(_ input: FloatTensor, into outputs: inout [String: FloatTensor]) throws(RuntimeError) {
    try checkFloatOutputs()
    guard model.plan.inputs.count == 1 else {
      throw .input("the model has \(model.plan.inputs.count) inputs \(model.plan.inputs.map(\.name)); pass them by name")
    }
    let batch = try load { _ in input }
    execute(batch: batch, clock: nil)
    store(batch: batch, into: &outputs)
  }

  /// Runs like `run(_:)` with a dictionary and reads a monotonic clock around every plan step into `clock`
  /// (resized to steps + 1 readings, in nanoseconds): step `i` ran from `clock[i]` to `clock[i + 1]`.
  /// Timed on this session's threads; the plain run reads no clock at all.
  package func run(_ inputs: [String: FloatTensor], stepClock clock: inout [UInt64]) throws(RuntimeError) -> [String: FloatTensor] {
    let count = model.plan.steps.count + 1
    if clock.count != count { clock = [UInt64](repeating: 0, count: count) }
    return try clock.withUnsafeMutableBufferPointer { (readings) throws(RuntimeError) in
      try run(inputs, clock: readings.baseAddress!)
    }
  }

  private func run(_ inputs: [String: FloatTensor], clock: UnsafeMutablePointer<UInt64>?) throws(RuntimeError) -> [String: FloatTensor] {
    try checkFloatOutputs()
    try checkNames(inputs)
    let batch = try load { inputs[$0] }
    execute(batch: batch, clock: clock)
    var outputs: [String: FloatTensor] = [:]
    store(batch: batch, into: &outputs)
    return outputs
  }

  /// Runs the model on `batch` items whose inputs `fill(i, values)` writes straight into the arena
  /// (input `i`, all items, C order): graphrun reads input files this way, with no tensor between.
  package func run(batch: Int, filling fill: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> [String: TypedTensor] {
    try prepare(batch: batch)
    for (i, binding) in model.plan.inputs.enumerated() {
      let v = binding.view, items = v.itemCount(batch: batch), count = items * v.itemCount
      if binding.isEmpty {
        try fill(i, UnsafeMutableBufferPointer(start: nil, count: 0))
      } else if items == 1 || v.itemStride == v.itemCount {
        try fill(i, UnsafeMutableBufferPointer(start: pointer(v, batch: batch, item: 0), count: count))
      } else {
        var staging = [Float](repeating: 0, count: count)  // items apart in the arena: fill, then spread
        try staging.withUnsafeMutableBufferPointer { try fill(i, $0) }
        staging.withUnsafeBufferPointer { src in
          for n in 0..<items { pointer(v, batch: batch, item: n).update(from: src.baseAddress! + n * v.itemCount, count: v.itemCount) }
        }
      }
    }
    execute(batch: batch, clock: nil)
    var outputs: [String: TypedTensor] = [:]
    store(batch: batch, into: &outputs)
    return outputs
  }

  /// Runs the plan's steps on what the arena holds, without loading inputs or storing outputs:
  /// lets tests tell the kernels' allocations from the session's own.
  package func executeSteps(batch: Int) throws(RuntimeError) {
    try prepare(batch: batch)
    execute(batch: batch, clock: nil)
  }

  /// Runs step `index` of the plan alone on what the arena holds: lets the allocation check
  /// (Tests/AllocationCheck) name the steps that allocate.
  package func executeStep(_ index: Int, batch: Int) throws(RuntimeError) {
    try prepare(batch: batch)
    StepExecutor(session: self, batch: batch).run(model.plan.steps[index], index: index)
  }

  /// The float API hands out float32 only: a bool output read as floats would be the wrong type.
  private func checkFloatOutputs() throws(RuntimeError) {
    guard let other = model.nonFloatOutput else { return }
    throw .input("output '\(other.name)' is \(other.elementType), not float32: run the model with runTyped(_:), which returns each output as its own type")
  }

  /// Refuses names the model has no input for (a misspelt name would otherwise read as missing).
  private func checkNames(_ inputs: [String: FloatTensor]) throws(RuntimeError) {
    guard inputs.count != model.plan.inputs.count else { return }  // every input is then looked up by name in load
    for name in inputs.keys where !model.plan.inputs.contains(where: { $0.name == name }) {
      throw .input("unknown input '\(name)'; the model's inputs are \(model.plan.inputs.map(\.name))")
    }
  }

  /// Checks every input (`tensor(name)`) against the plan and copies it into the arena.
  /// - Returns: the batch size: that of the batched inputs, else the plan's fixed batch (or 1).
  private func load(_ tensor: (String) -> FloatTensor?) throws(RuntimeError) -> Int {
    let plan = model.plan
    var batch: Int? = nil
    for binding in plan.inputs {
      guard let t = tensor(binding.name) else {
        throw .input("missing input '\(binding.name)' (expected shape \(describe(binding)))")
      }
      if let whole = binding.shape {
        guard t.shape == whole else { throw .input("input '\(binding.name)' has shape \(t.shape), expected \(describe(binding))") }
        continue
      }
      guard Self.shape(t.shape, isBatchOf: binding.view.dims), t.shape[0] > 0 else {
        throw .input("input '\(binding.name)' has shape \(t.shape), expected \(describe(binding))")
      }
      if let b = batch, b != t.shape[0] { throw .input("inputs disagree on the batch size (\(b) and \(t.shape[0]))") }
      batch = t.shape[0]
    }
    let b = batch ?? plan.fixedBatch ?? 1
    try prepare(batch: b)
    for binding in plan.inputs where !binding.isEmpty {
      let v = binding.view
      tensor(binding.name)!.values.withUnsafeBufferPointer { src in
        for n in 0..<v.itemCount(batch: b) {
          (pointer(v, batch: b, item: n)).update(from: src.baseAddress! + n * v.itemCount, count: v.itemCount)
        }
      }
    }
    return b
  }

  /// Whether `shape` is `[any batch] + item`. Index loops, not generic algorithms: unspecialized
  /// (debug) builds of those allocate, and a run into kept tensors should allocate nothing.
  private static func shape(_ shape: [Int], isBatchOf item: [Int]) -> Bool {
    guard shape.count == item.count + 1 else { return false }
    var i = 0
    while i < item.count {
      if shape[i + 1] != item[i] { return false }
      i += 1
    }
    return true
  }

  /// Whether a kept output tensor can take this run's output as it is. (A function, so the
  /// tensor's copy is released before the values are written in place.)
  private static func fits(_ tensor: FloatTensor?, batch: Int, binding: TensorBinding) -> Bool {
    guard let tensor else { return false }
    return fits(tensor.shape, batch: batch, binding: binding)
  }

  private static func fits(_ tensor: TypedTensor?, batch: Int, binding: TensorBinding) -> Bool {
    guard let tensor, tensor.elementType == binding.elementType else { return false }
    return fits(tensor.shape, batch: batch, binding: binding)
  }

  private static func fits(_ tensorShape: [Int], batch: Int, binding: TensorBinding) -> Bool {
    if let whole = binding.shape { return tensorShape == whole }
    return tensorShape.first == batch && shape(tensorShape, isBatchOf: binding.view.dims)
  }

  /// Copies every output out of the arena (or the plan, for an integer constant) into `outputs` as
  /// its own type, in place where the tensor there has the right type and shape.
  private func store(batch b: Int, into outputs: inout [String: TypedTensor]) {
    for binding in model.plan.outputs {
      let v = binding.view, items = v.itemCount(batch: b)
      if !Self.fits(outputs[binding.name], batch: b, binding: binding) {
        outputs[binding.name] = TypedTensor(zeros: binding.elementType, shape: binding.shape(batch: b))
      }
      outputs[binding.name]!.withUnsafeMutableBytes { dst in
        if let values = binding.constant {
          var i = 0
          while i < values.count {
            if binding.elementType == .int64 {
              dst.storeBytes(of: values[i].littleEndian, toByteOffset: i * 8, as: Int64.self)
            } else {
              dst.storeBytes(of: Int32(truncatingIfNeeded: values[i]).littleEndian, toByteOffset: i * 4, as: Int32.self)
            }
            i += 1
          }
          return
        }
        for n in 0..<items {
          let src = pointer(v, batch: b, item: n), start = n * v.itemCount
          if binding.elementType == .bool {
            // The arena holds a bool as float 0/1; it leaves as one byte.
            let out = dst.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
            for k in 0..<v.itemCount { out[k] = src[k] != 0 ? 1 : 0 }
          } else if binding.elementType == .int64 {
            // A computed int64 is an index, an exact float in the arena (what no index is, as
            // NaN from a corrupt plan, leaves as -1 rather than trapping).
            for k in 0..<v.itemCount {
              let index = src[k].magnitude < 0x1p62 ? Int64(src[k]) : -1
              dst.storeBytes(of: index.littleEndian, toByteOffset: (start + k) * 8, as: Int64.self)
            }
          } else {
            (dst.baseAddress! + start * 4).copyMemory(from: src, byteCount: v.itemCount * 4)
          }
        }
      }
    }
  }

  /// Copies every output out of the arena into `outputs`, in place where the tensor there has the right shape.
  private func store(batch b: Int, into outputs: inout [String: FloatTensor]) {
    for binding in model.plan.outputs {
      let v = binding.view, items = binding.isEmpty ? 0 : v.itemCount(batch: b)
      if !Self.fits(outputs[binding.name], batch: b, binding: binding) {
        outputs[binding.name] = FloatTensor(computed: binding.shape(batch: b), values: [Float](repeating: 0, count: items * v.itemCount))
      }
      outputs[binding.name]!.withUnsafeMutableValues { dst in
        for n in 0..<items { (dst.baseAddress! + n * v.itemCount).update(from: pointer(v, batch: b, item: n), count: v.itemCount) }
      }
    }
  }

  private func describe(_ binding: TensorBinding) -> String {
    if let whole = binding.shape { return "[\(whole.map(String.init).joined(separator: ", "))]" }
    let batch = model.plan.fixedBatch.map(String.init) ?? "N"
    return "[\(([batch] + binding.view.dims.map(String.init)).joined(separator: ", "))]"
  }

  /// Grows the arena for `batch` items when needed.
  private func prepare(batch: Int) throws(RuntimeError) {
    if let fixed = model.plan.fixedBatch, fixed != batch {
      throw .input("the plan was compiled for batch \(fixed), got batch \(batch)")
    }
    guard batch > capacityBatch else { return }
    let workspaceCount = StepExecutor.workspaceCount(model.plan, threads: threads, batch: batch)
    let count = try model.arenaFloats(batch: batch, workspace: workspaceCount)
    arena.deallocate()
    arena = allocateFloats(count)
    arena.initialize(repeating: 0, count: count)
    workspace.deallocate()
    workspace = allocateFloats(max(1, workspaceCount))
    capacityBatch = batch
  }

  /// Item `n` of view `v` in the arena.
  @inline(__always)
  func pointer(_ v: View, batch: Int, item n: Int) -> UnsafeMutablePointer<Float> {
    if v.items == 0 { return arena + v.base * batch + n * v.itemStride + v.inner }
    // The fixed region follows the batched one; a one-item view is the same for every item.
    return arena + model.plan.arenaFloatsPerItem * batch + v.base + (v.items == 1 ? 0 : n) * v.itemStride + v.inner
  }

  private func execute(batch: Int, clock: UnsafeMutablePointer<UInt64>?) {
    let executor = StepExecutor(session: self, batch: batch)
    guard let clock else {
      for (i, step) in model.plan.steps.enumerated() { executor.run(step, index: i) }
      return
    }
    clock[0] = monotonicNanoseconds()
    for (i, step) in model.plan.steps.enumerated() {
      executor.run(step, index: i)
      clock[i + 1] = monotonicNanoseconds()
    }
  }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}
