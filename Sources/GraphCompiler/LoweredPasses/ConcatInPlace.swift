/// Concat without copies: a Concat input computed by a step of its own (not a graph
/// input, output, view or another slice) is written by that step straight into its
/// slice of the concat's buffer, and its copy step goes. A value has one slice only:
/// its first concat takes it in place, later ones copy it.
struct ConcatInPlace: LoweredPass {
  let name = "concat-in-place"

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    let computed = Set(program.steps.filter { !$0.isConcatCopy }.map(\.output))
    let graphValues = Set(program.inputs + program.outputs)

    var kept: [LoweredProgram.Step] = []
    for step in program.steps {
      let input = step.inputs.first ?? ""
      guard step.isConcatCopy, computed.contains(input), !graphValues.contains(input),
        program.values[input]?.alias == nil, case .slice(let concat, let inner)? = program.values[step.output]?.alias
      else { kept.append(step); continue }
      program.values[input]?.alias = .slice(of: concat, inner: inner)
      program.values[step.output] = nil
      context.report.concatInPlace += 1
    }
    program.steps = kept
  }
}
