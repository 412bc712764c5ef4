/// An element-wise step whose input dies there writes over that input: its output
/// becomes a view of the input's buffer.
struct ReuseDyingInputs: LoweredPass {
  let name = "reuse-inputs"

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    var lastUse: [String: Int] = [:]
    for (i, step) in program.steps.enumerated() { step.inputs.forEach { lastUse[program.root(of: $0).root] = i } }
    // Last step reading each value by name (not by buffer): how long a reused buffer must live.
    var lastReader: [String: Int] = [:]
    for (i, step) in program.steps.enumerated() { step.inputs.forEach { lastReader[$0] = i } }
    let outputs = Set(program.outputs)
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
        program.values[x]?.items == program.values[step.output]?.items,
        !outputs.contains(step.output)
      else { continue }
      program.values[step.output]?.alias = .view(of: x)
      // The shared buffer now lives as long as the output does.
      let outLast = lastReader[step.output] ?? i
      lastUse[x] = outLast
    }
  }
}
