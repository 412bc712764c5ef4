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
      INPUT is a float32 .npy file (C order) or raw little-endian float32 (.bin) holding whole
      batch items of the plan's input. With a symbolic batch, the batch follows from the input's size.
      """
  )

  @Argument(help: "The plan file written by `graphc compile`.")
  var plan: String

  @Argument(help: "The input tensor (.npy or raw float32 .bin).")
  var input: String

  @Option(name: .shortAndLong, help: "Write the outputs here (.npy or .bin; several outputs get their name added).")
  var output: String?

  @Option(help: "How many top classes to print per batch item.")
  var top = 5

  @Option(help: "How to score classes: auto (softmax unless the model ends in one), softmax, or raw.")
  var scores: Scores = .auto

  @Option(help: "Threads to run kernels on.")
  var threads = 1

  @Option(help: "Run this many timed inferences after warm-up and report latency.")
  var bench: Int?

  @Flag(help: "Time every plan step over the --bench runs (10 unless given) and print kernel, shapes, median ms, GFLOP/s and % of total per step.")
  var profile = false

  @Option(help: ArgumentHelp("Write the per-step timings of every profiled run here in Chrome trace format (chrome://tracing, Perfetto); implies --profile.", valueName: "file"))
  var profileJson: String?

  @Flag(help: "Print the results as JSON.")
  var json = false

  func validate() throws {
    guard top >= 0 else { throw ValidationError("--top must be ≥ 0") }
    guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    if let bench, bench < 1 { throw ValidationError("--bench must be ≥ 1") }
  }

  func run() throws {
    do {
      let model = try CompiledModel(contentsOfFile: plan)
      let session = try model.makeSession(threads: threads)
      let feeds = try InputLoader.load(input, for: model)
      let outputs = try session.run(feeds)
      let timing = try bench.map { try Benchmark.measure(session, feeds, runs: $0) }
      let profiled = profile || profileJson != nil ? try Profile.measure(session, feeds, runs: bench ?? 10) : nil
      if let profileJson, let profiled { try profiled.writeChromeTrace(to: profileJson) }
      let names = model.outputs.map(\.name)
      let softmax = { (name: String) in scores.appliesSoftmax(name, model) }
      if let output { try OutputWriter.write(outputs, order: names, to: output, protecting: [plan, input]) }
      if json {
        print(Report.json(outputs, order: names, top: top, softmax: softmax, timing: timing, profile: profiled))
      } else {
        print(Report.text(outputs, order: names, top: top, softmax: softmax, timing: timing), terminator: "")
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
