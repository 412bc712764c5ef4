import GraphIR
import GraphPlan

/// Turns a lowered program into a ``Plan``: computes buffer lifetimes, assigns
/// offsets (the `plan-memory` stage) and builds views.
struct PlanBuilder {
  /// Buffers start on 64-byte (16-float) boundaries.
  static let alignment = 16

  static func build(_ program: LoweredProgram, fixedBatch: Int?, report: inout CompileReport) throws -> (Plan, [Float]) {
    // Lifetimes of every buffer, over all values that alias it.
    let stepCount = program.steps.count
    var first: [String: Int] = [:], last: [String: Int] = [:]
    func touch(_ value: String, _ step: Int) {
      let root = program.root(of: value).root
      first[root] = min(first[root] ?? step, step)
      last[root] = max(last[root] ?? step, step)
    }
    for name in program.inputs { touch(name, 0) }
    for (i, step) in program.steps.enumerated() {
      step.inputs.forEach { touch($0, i) }
      touch(step.output, i)
    }
    for name in program.outputs { touch(name, max(stepCount - 1, 0)) }

    let roots = first.keys.sorted()
    let buffers = roots.map { root in
      MemoryPlanner.Buffer(size: padded(program.values[root]!.itemCount), firstStep: first[root]!, lastStep: last[root]!)
    }
    let memory = MemoryPlanner.plan(buffers)
    let offsetOf = Dictionary(uniqueKeysWithValues: zip(roots, memory.offsets))

    func view(_ name: String) -> View {
      let (root, inner) = program.root(of: name)
      return View(base: offsetOf[root]!, itemStride: program.values[root]!.itemCount, inner: inner, dims: program.values[name]!.dims)
    }
    let steps = program.steps.map { s in
      Step(name: s.name, absorbed: s.absorbed, kernel: s.kernel, inputs: s.inputs.map(view), output: view(s.output))
    }
    let plan = Plan(
      fixedBatch: fixedBatch, arenaFloatsPerItem: memory.arenaSize,
      inputs: program.inputs.map { TensorBinding(name: $0, view: view($0)) },
      outputs: program.outputs.map { TensorBinding(name: $0, view: view($0)) },
      steps: steps, weightCount: program.weights.data.count)
    try plan.validate(source: "compiled plan")

    let scale = 4 * (fixedBatch ?? 1)
    report.steps = steps.count
    report.arenaBytes = memory.arenaSize * scale
    report.lowerBoundBytes = memory.lowerBound * scale
    report.naiveBytes = memory.naiveSize * scale
    report.weightsBytes = program.weights.data.count * 4
    report.copyBytes = program.concatCopyFloats * scale
    report.memoryStrategy = memory.strategy
    report.batch = fixedBatch
    return (plan, program.weights.data)
  }

  static func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}
