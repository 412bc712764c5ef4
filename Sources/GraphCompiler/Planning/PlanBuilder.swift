import GraphIR
import GraphPlan

/// Turns a lowered program into a ``Plan``: lets element-wise steps reuse a
/// dying input's buffer, computes lifetimes, assigns offsets and builds views.
struct PlanBuilder {
  /// Buffers start on 64-byte (16-float) boundaries.
  static let alignment = 16

  static func build(_ input: LoweredProgram, fixedBatch: Int?, report: inout CompileReport) throws -> (Plan, [Float]) {
    var program = input
    reuseDyingInputs(&program)

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
    report.copyBytes *= fixedBatch ?? 1
    report.memoryStrategy = memory.strategy
    report.batch = fixedBatch
    return (plan, program.weights.data)
  }

  static func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

  /// An element-wise step whose input dies there writes over that input.
  static func reuseDyingInputs(_ program: inout LoweredProgram) {
    var lastUse: [String: Int] = [:]
    for (i, step) in program.steps.enumerated() { step.inputs.forEach { lastUse[program.root(of: $0).root] = i } }
    for name in program.outputs { lastUse[program.root(of: name).root] = Int.max }
    for name in program.inputs { lastUse[name] = Int.max }  // keep the caller's input intact
    for (i, step) in program.steps.enumerated() {
      let elementwise: Bool
      switch step.kernel {
      case .activation, .channelAffine: elementwise = true
      case .binary(let b): elementwise = b.leftDims == program.values[step.output]?.dims
      default: elementwise = false
      }
      guard elementwise, let x = step.inputs.first, program.values[x]?.alias == nil,
        program.values[step.output]?.alias == nil, lastUse[x] == i,
        program.values[x]?.itemCount == program.values[step.output]?.itemCount,
        !program.outputs.contains(step.output)
      else { continue }
      program.values[step.output]?.alias = .view(of: x)
      // The shared buffer now lives as long as the output does.
      let outLast = program.steps.indices.last { program.steps[$0].inputs.contains(step.output) } ?? i
      lastUse[x] = outLast
    }
  }
}
