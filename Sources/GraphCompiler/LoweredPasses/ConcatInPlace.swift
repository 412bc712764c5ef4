/// Concat without copies: a Concat input computed by a step of its own (not a graph
/// input, output, view or another slice) is written by that step straight into its
/// slice of the concat's buffer, and its copy step goes. A value has one slice only:
/// its first concat takes it in place, later ones copy it.
struct ConcatInPlace: LoweredPass {
  let name = "concat-in-place"

  func run(_ program: inout LoweredProgram, _ context: CompilationContext) throws {
    let computed = Set(program.steps.filter { !$0.isConcatCopy }.map(\.output))
    let graphValues = Set(program.inputs + program.outputs)
    // A value read through a view of another item count (a whole-shape view) must stay dense.
    var viewedAcrossItems: Set<String> = []
    for (_, value) in program.values {
      if case .view(let of)? = value.alias, program.values[of]?.items != value.items { viewedAcrossItems.insert(of) }
    }

    var kept: [LoweredProgram.Step] = []
    for step in program.steps {
      let input = step.inputs.first ?? ""
      guard step.isConcatCopy, computed.contains(input), !graphValues.contains(input),
        program.values[input]?.alias == nil, case .slice(let concat, let inner)? = program.values[step.output]?.alias,
        !viewedAcrossItems.contains(input), program.values[input]?.items == program.values[step.output]?.items
      else { kept.append(step); continue }
      program.values[input]?.alias = .slice(of: concat, inner: inner)
      program.values[step.output] = nil
      context.report.concatInPlace += 1
    }
    program.steps = kept
  }
}
