import ArgumentParser
import Foundation
import GraphRuntime

/// `graphrun PLAN INPUT`: runs a compiled plan on an input file and prints the top classes.
@main
struct Graphrun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "graphrun",
    abstract: "Run a compiled plan on an input tensor.",
    discussion: """
      An input file is a .npy file (recognized by its content; float16, float64 and integer arrays
      are converted to float32 with a note on stderr) or raw little-endian float32 whose size is
      exactly whole batch items of the input. It holds one item (the input's shape without the
      batch) or a batch. With a symbolic batch, the batch follows from the file. A plan with several
      inputs takes one --input NAME=FILE for each.
      """,
    version: GraphcVersion.current
  )

  @Argument(help: "The plan file written by `graphc compile`.")
  var plan: String

  @Argument(help: "The input tensor (.npy, or raw float32) of a single-input plan.")
  var input: String?

  @Option(name: .customLong("input"), help: ArgumentHelp("One input of the plan by name (repeat for each input).", valueName: "name=file"))
  var namedInputs: [String] = []

  @Option(name: .shortAndLong, help: "Write the outputs here (.npy or .bin; several outputs get their name added).")
  var output: String?

  // Unconditional parsing, here and below, so a negative number reaches validate() and gets a clear message.
  @Option(parsing: .unconditional, help: "How many top classes to print per batch item (0: none).")
  var top = 5

  @Option(help: "How to score classes: auto (softmax unless the model ends in one), softmax, or raw.")
  var scores: Scores = .auto

  @Option(help: ArgumentHelp("Class names, one per line (line i names class i), printed with --top.", valueName: "file"))
  var labels: String?

  @Option(parsing: .unconditional, help: "Threads to run kernels on (default: the cores this process may use).")
  var threads: Int?

  @Option(parsing: .unconditional, help: "Run this many timed inferences after warm-up and report latency.")
  var bench: Int?

  @Flag(help: "Time every plan step over the --bench runs (10 unless given) and print kernel, shapes, median ms, GFLOP/s and % of total per step.")
  var profile = false

  @Option(help: ArgumentHelp("Write the per-step timings of every profiled run here in Chrome trace format (chrome://tracing, Perfetto); implies --profile.", valueName: "file"))
  var profileJson: String?

  @Flag(help: "Print the results as JSON.")
  var json = false

  func validate() throws {
    guard top >= 0 else { throw ValidationError("--top must be 0 or more (how many classes to print), got \(top)") }
    if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    if let bench, bench < 1 { throw ValidationError("--bench must be 1 or more, got \(bench)") }
    if input == nil && namedInputs.isEmpty { throw ValidationError("give an input file (or --input NAME=FILE for each input)") }
    if input != nil && !namedInputs.isEmpty { throw ValidationError("give either an input file or --input NAME=FILE, not both") }
  }

  func run() throws {
    do {
      let model = try CompiledModel(contentsOfFile: plan)
      let labelNames = try labels.map { path in
        let l = try Labels(contentsOf: path)
        try l.check(model, path: path)
        return l
      }
      let session = try model.makeSession(threads: threads ?? Session.availableCores)
      let assignments = try input.map { [InputAssignment(path: $0)] } ?? namedInputs.map(InputAssignment.init(parsing:))
      let loader = InputLoader(model: model) { FileHandle.standardError.write(Data("note: \($0)\n".utf8)) }
      let feeds = try loader.feeds(assignments)
      let outputs = try session.run(feeds)
      let timing = try bench.map { try Benchmark.measure(session, feeds, runs: $0) }
      let profiled = profile || profileJson != nil ? try Profile.measure(session, feeds, runs: bench ?? 10) : nil
      if let profileJson, let profiled { try profiled.writeChromeTrace(to: profileJson) }
      let names = model.outputs.map(\.name)
      let softmax = { (name: String) in scores.appliesSoftmax(name, model) }
      if let output { try OutputWriter.write(outputs, order: names, to: output, protecting: [plan] + assignments.map(\.path)) }
      if json {
        print(Report.json(outputs, order: names, top: top, softmax: softmax, labels: labelNames, threads: session.threads, timing: timing, profile: profiled))
      } else {
        print(Report.text(outputs, order: names, top: top, softmax: softmax, labels: labelNames, timing: timing), terminator: "")
        if let profiled { print(profiled.text, terminator: "") }
      }
    } catch let error as RuntimeError {
      FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
      throw ExitCode.failure
    } catch let error as PlanError {
      FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
      throw ExitCode.failure
    }
  }
}
