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
/// the same batch allocate nothing but the returned output arrays.
public final class Session {
  /// The model this session runs (shared, read-only, with any other sessions of it).
  public let model: CompiledModel
  let pool: ThreadPool
  private var arena: UnsafeMutablePointer<Float>
  private var capacityBatch = 0
  var workspace: UnsafeMutablePointer<Float>
  private let workspaceCount: Int

  init(model: CompiledModel, threads: Int, workspaceCount: Int) {
    self.model = model
    self.pool = ThreadPool(threads: threads)
    self.arena = allocateFloats(1)
    self.workspaceCount = workspaceCount
    self.workspace = allocateFloats(workspaceCount)
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
  ///   or a batch the plan was not compiled for.
  public func run(_ inputs: [String: FloatTensor]) throws(RuntimeError) -> [String: FloatTensor] {
    try run(inputs, clock: nil)
  }

  /// Runs like ``run(_:)`` and reads a monotonic clock around every plan step into `clock`
  /// (resized to steps + 1 readings, in nanoseconds): step `i` ran from `clock[i]` to `clock[i + 1]`.
  /// Timed on this session's threads; the plain ``run(_:)`` reads no clock at all.
  package func run(_ inputs: [String: FloatTensor], stepClock clock: inout [UInt64]) throws(RuntimeError) -> [String: FloatTensor] {
    let count = model.plan.steps.count + 1
    if clock.count != count { clock = [UInt64](repeating: 0, count: count) }
    return try clock.withUnsafeMutableBufferPointer { (readings) throws(RuntimeError) in
      try run(inputs, clock: readings.baseAddress!)
    }
  }

  private func run(_ inputs: [String: FloatTensor], clock: UnsafeMutablePointer<UInt64>?) throws(RuntimeError) -> [String: FloatTensor] {
    let plan = model.plan
    var batch: Int? = nil
    for binding in plan.inputs {
      guard let tensor = inputs[binding.name] else {
        throw .input("missing input '\(binding.name)' (expected shape \(describe(binding.view.dims)))")
      }
      let expected = binding.view.dims
      guard tensor.shape.count == expected.count + 1, Array(tensor.shape.dropFirst()) == expected, tensor.shape[0] > 0 else {
        throw .input("input '\(binding.name)' has shape \(tensor.shape), expected \(describe(expected))")
      }
      if let b = batch, b != tensor.shape[0] { throw .input("inputs disagree on the batch size (\(b) and \(tensor.shape[0]))") }
      batch = tensor.shape[0]
    }
    for name in inputs.keys where !plan.inputs.contains(where: { $0.name == name }) {
      throw .input("unknown input '\(name)'; the model's inputs are \(plan.inputs.map(\.name))")
    }
    let b = batch ?? plan.fixedBatch ?? 1
    try prepare(batch: b)
    for binding in plan.inputs {
      let values = inputs[binding.name]!.values
      let v = binding.view
      values.withUnsafeBufferPointer { src in
        for n in 0..<b {
          (pointer(v, batch: b, item: n)).update(from: src.baseAddress! + n * v.itemCount, count: v.itemCount)
        }
      }
    }
    execute(batch: b, clock: clock)
    var outputs: [String: FloatTensor] = [:]
    for binding in plan.outputs {
      let v = binding.view
      var values = [Float](repeating: 0, count: b * v.itemCount)
      values.withUnsafeMutableBufferPointer { dst in
        for n in 0..<b { (dst.baseAddress! + n * v.itemCount).update(from: pointer(v, batch: b, item: n), count: v.itemCount) }
      }
      outputs[binding.name] = FloatTensor(computed: [b] + v.dims, values: values)
    }
    return outputs
  }

  private func describe(_ itemDims: [Int]) -> String {
    let batch = model.plan.fixedBatch.map(String.init) ?? "N"
    return "[\(([batch] + itemDims.map(String.init)).joined(separator: ", "))]"
  }

  /// Grows the arena for `batch` items when needed.
  private func prepare(batch: Int) throws(RuntimeError) {
    if let fixed = model.plan.fixedBatch, fixed != batch {
      throw .input("the plan was compiled for batch \(fixed), got batch \(batch)")
    }
    guard batch > capacityBatch else { return }
    let (product, overflow) = model.plan.arenaFloatsPerItem.multipliedReportingOverflow(by: batch)
    guard !overflow else { throw .input("batch \(batch) needs an arena too large to allocate") }
    let count = try MemoryBudget.floats(product, for: "the arena for batch \(batch)")
    arena.deallocate()
    arena = allocateFloats(count)
    arena.initialize(repeating: 0, count: count)
    capacityBatch = batch
  }

  /// Item `n` of view `v` in the arena.
  @inline(__always)
  func pointer(_ v: View, batch: Int, item n: Int) -> UnsafeMutablePointer<Float> {
    arena + v.base * batch + n * v.itemStride + v.inner
  }

  private func execute(batch: Int, clock: UnsafeMutablePointer<UInt64>?) {
    let executor = StepExecutor(session: self, batch: batch)
    guard let clock else {
      for step in model.plan.steps { executor.run(step) }
      return
    }
    clock[0] = monotonicNanoseconds()
    for (i, step) in model.plan.steps.enumerated() {
      executor.run(step)
      clock[i + 1] = monotonicNanoseconds()
    }
  }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
@inline(__always)
private func monotonicNanoseconds() -> UInt64 {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}
