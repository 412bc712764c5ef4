import GraphIR
import GraphPlan

/// Turns a lowered program into a ``Plan``: computes buffer lifetimes, assigns
/// offsets (the `plan-memory` stage) and builds views.
struct PlanBuilder {
  /// Buffers start on 64-byte (16-float) boundaries.
  static let alignment = 16

  /// - Parameter wholeShapes: the model's shapes of the inputs and outputs without the batch.
  static func build(
    _ program: LoweredProgram, fixedBatch: Int?, wholeShapes: [String: [Int]], report: inout CompileReport
  ) throws -> (Plan, [Float]) {
    // Lifetimes of every buffer, over all values that alias it.
    let stepCount = program.steps.count
    var first: [String: Int] = [:], last: [String: Int] = [:]
    func touch(_ value: String, _ step: Int) {
      let root = program.root(of: value).root
      first[root] = min(first[root] ?? step, step)
      last[root] = max(last[root] ?? step, step)
    }
    for name in program.inputs where program.constantBindings[name] == nil { touch(name, 0) }
    for (i, step) in program.steps.enumerated() {
      step.inputs.forEach { touch($0, i) }
      touch(step.output, i)
    }
    for name in program.outputs where program.constantBindings[name] == nil { touch(name, max(stepCount - 1, 0)) }

    // Two regions, each planned on its own: buffers with the batch (sizes per batch item), then
    // those without (fixed sizes), so the arena is valid at any batch.
    let roots = first.keys.sorted()
    let batchedRoots = roots.filter { program.values[$0]!.items == nil }
    let fixedRoots = roots.filter { program.values[$0]!.items != nil }
    func plan(_ roots: [String]) -> (MemoryPlanner.Result, [String: Int]) {
      let buffers = roots.map { root in
        let v = program.values[root]!
        return MemoryPlanner.Buffer(size: padded(v.itemCount * (v.items ?? 1)), firstStep: first[root]!, lastStep: last[root]!)
      }
      let memory = MemoryPlanner.plan(buffers)
      return (memory, Dictionary(uniqueKeysWithValues: zip(roots, memory.offsets)))
    }
    let (memory, batchedOffsets) = plan(batchedRoots)
    let (fixedMemory, fixedOffsets) = plan(fixedRoots)

    // Floats between items of `name`: its buffer's, unless it reads a buffer of another item
    // count as a dense whole (a one-item view of a fixed-shape value).
    func itemStride(_ name: String) throws -> Int {
      let value = program.values[name]!
      switch value.alias {
      case nil: return value.itemCount
      case .slice(let of, _)?: return try itemStride(of)
      case .view(let of)?:
        guard program.values[of]!.items != value.items else { return try itemStride(of) }
        let (_, inner) = program.root(of: of)
        guard inner == 0, try itemStride(of) == program.values[of]!.itemCount else {
          throw GraphError("value '\(name)'", "views a strided part of a buffer with another item count")
        }
        return value.itemCount
      }
    }
    func view(_ name: String) throws -> View {
      let (root, inner) = program.root(of: name)
      let value = program.values[name]!
      return View(
        base: batchedOffsets[root] ?? fixedOffsets[root]!, itemStride: try itemStride(name), inner: inner, dims: value.dims,
        items: value.items ?? 0)
    }
    let steps = try program.steps.map { s in
      Step(name: s.name, absorbed: s.absorbed, kernel: s.kernel, inputs: try s.inputs.map(view), output: try view(s.output))
    }
    let plan = Plan(
      fixedBatch: fixedBatch, arenaFloatsPerItem: memory.arenaSize, arenaFixedFloats: fixedMemory.arenaSize,
      inputs: try program.inputs.map { name in
        if let c = program.constantBindings[name] { return .constant(name: name, shape: c.shape, elementType: c.type, values: c.values) }
        return TensorBinding(name: name, view: try view(name), shape: wholeShapes[name], elementType: program.types[name] ?? .float32)
      },
      outputs: try program.outputs.map { name in
        if let c = program.constantBindings[name] { return .constant(name: name, shape: c.shape, elementType: c.type, values: c.values) }
        return TensorBinding(name: name, view: try view(name), shape: wholeShapes[name], elementType: program.types[name] ?? .float32)
      },
      steps: steps, weightCount: program.weights.data.count)
    try plan.validate(source: "compiled plan")

    let scale = 4 * (fixedBatch ?? 1)
    report.steps = steps.count
    report.arenaBytes = memory.arenaSize * scale + fixedMemory.arenaSize * 4
    report.lowerBoundBytes = memory.lowerBound * scale + fixedMemory.lowerBound * 4
    report.naiveBytes = memory.naiveSize * scale + fixedMemory.naiveSize * 4
    report.weightsBytes = program.weights.data.count * 4
    report.copyBytes = program.steps.filter(\.isConcatCopy).map { s in
      program.values[s.output].map { $0.itemCount * ($0.items ?? fixedBatch ?? 1) * 4 } ?? 0
    }.reduce(0, +)
    report.memoryStrategy = memory.arenaSize >= fixedMemory.arenaSize ? memory.strategy : fixedMemory.strategy
    report.batch = fixedBatch
    return (plan, program.weights.data)
  }

  static func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}
