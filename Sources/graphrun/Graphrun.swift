import ArgumentParser
import Foundation
import GraphRuntime

/// `graphrun PLAN INPUT`: runs a compiled plan on an input file and prints the top classes;
/// `graphrun PLAN INPUT... | --inputs DIR`: runs many input files in batches (batch mode).
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

      Batch mode (several INPUT files, --inputs DIR, --batch-size, --shard or -o FILE.jsonl) runs
      every file through one session in batches of --batch-size items and writes one JSON line per
      input file, in order: {"file", "items", "outputs": [{"name", "shape", "scores", "top"}]}, or
      {"file", "error"} for a file that cannot be read or does not fit the plan; such files are
      reported on stderr and skipped, and graphrun exits 1 at the end. Progress goes to stderr: a
      bar with rate and ETA on a terminal, a line every 5 seconds otherwise, nothing with --quiet.

      An output holding NaN or an infinity is warned about on stderr (in JSON its entry gets
      "nonfinite": {"nan", "inf"} counts and such scores are null); --strict makes it exit 1.
      Sizes the plan and inputs declare are checked against budgets derived from the
      machine's memory (or --max-memory) before anything is allocated.
      """,
    version: GraphcVersion.current
  )

  @Argument(help: "The plan file written by `graphc compile`.")
  var plan: String

  @Argument(help: "The input tensor (.npy, or raw float32) of a single-input plan; several run in batch mode.")
  var inputs: [String] = []

  @Option(name: .customLong("inputs"), help: ArgumentHelp("Batch mode over this directory's .npy and .bin files, by name.", valueName: "dir"))
  var inputsDirectory: String?

  @Option(name: .customLong("input"), help: ArgumentHelp("One input of the plan by name (repeat for each input).", valueName: "name=file"))
  var namedInputs: [String] = []

  @Option(name: .shortAndLong, help: "Write the outputs here (.npy or .bin; several outputs get their name added); in batch mode, the JSON lines (FILE.jsonl; default stdout).")
  var output: String?

  @Option(parsing: .unconditional, help: "Batch mode: items per inference (default: the plan's fixed batch, else 8).")
  var batchSize: Int?

  @Option(help: ArgumentHelp("Batch mode: run only inputs I, I+N, I+2N, ... of the list (0 ≤ I < N), e.g. one shard per job of an array.", valueName: "i/n"))
  var shard: Shard?

  @Option(help: ArgumentHelp("Batch mode: also write each input's outputs to DIR/<input name>.npy.", valueName: "dir"))
  var outputsDir: String?

  @Flag(help: "Batch mode: no progress and no closing totals on stderr (bad inputs are still reported).")
  var quiet = false

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

  @Flag(help: "Exit 1 (after printing the results) when an output holds NaN or an infinity; without it graphrun only warns on stderr. In batch mode, any input's outputs.")
  var strict = false

  @Option(name: .customLong("max-memory"), help: ArgumentHelp(Limits.memoryHelp, valueName: "size"))
  var limits: Limits = .machine

  func validate() throws {
    guard top >= 0 else { throw ValidationError("--top must be 0 or more (how many classes to print), got \(top)") }
    if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    if let bench, bench < 1 { throw ValidationError("--bench must be 1 or more, got \(bench)") }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be 1 or more, got \(batchSize)") }
    if !namedInputs.isEmpty && (!inputs.isEmpty || inputsDirectory != nil) {
      throw ValidationError("give either input files or --input NAME=FILE, not both")
    }
    if isBatch && (bench != nil || profile || profileJson != nil) {
      throw ValidationError("--bench and --profile time one input; batch mode reports its own throughput")
    }
    if isBatch, let output, !output.hasSuffix(".jsonl") {
      throw ValidationError("in batch mode -o names the JSON lines file (FILE.jsonl); --outputs-dir DIR writes the outputs as .npy")
    }
  }

  /// Batch mode: several input files, a directory of them, or a batch-mode option.
  var isBatch: Bool {
    inputs.count > 1 || inputsDirectory != nil || batchSize != nil || shard != nil || outputsDir != nil || quiet
      || output?.hasSuffix(".jsonl") == true
  }

  func run() throws {
    do {
      let model = try CompiledModel(contentsOfFile: plan, limits: limits)
      // A plan without inputs (its outputs are constants) runs with none.
      if inputs.isEmpty && namedInputs.isEmpty && inputsDirectory == nil && !model.inputs.isEmpty {
        throw ValidationError("give an input file (or --input NAME=FILE for each input, or --inputs DIR)")
      }
      let labelNames = try labels.map { path in
        let l = try Labels(contentsOf: path)
        try l.check(model, path: path)
        return l
      }
      let session = try model.makeSession(threads: threads ?? Session.availableCores)
      let loader = InputLoader(model: model) { FileHandle.standardError.write(Data("note: \($0)\n".utf8)) }
      if isBatch {
        return try runBatch(model, session, loader, labels: labelNames)
      }
      let assignments = try inputs.first.map { [InputAssignment(path: $0)] } ?? namedInputs.map(InputAssignment.init(parsing:))
      let sources = try loader.sources(assignments)
      // One run reads the files straight into the arena; timed runs reuse the inputs as tensors.
      let timed = bench != nil || profile || profileJson != nil
      let feeds = timed ? try sources.mapValues { try $0.tensor() } : [:]
      let outputs = timed ? try session.runTyped(feeds) : try Self.run(session, sources)
      let timing = try bench.map { try Benchmark.measure(session, feeds, runs: $0) }
      let profiled = profile || profileJson != nil ? try Profile.measure(session, feeds, runs: bench ?? 10) : nil
      if let profileJson, let profiled { try profiled.writeChromeTrace(to: profileJson) }
      let names = model.outputs.map(\.name)
      let softmax = { (name: String) in scores.appliesSoftmax(name, model) }
      if let output { try OutputWriter.write(outputs, order: names, to: output, protecting: [plan] + assignments.map(\.path)) }
      if json {
        print(Report.json(outputs, order: names, top: top, softmax: softmax, labels: labelNames, threads: session.threads, provenance: model.provenance, timing: timing, profile: profiled))
      } else {
        print(Report.text(outputs, order: names, top: top, softmax: softmax, labels: labelNames, timing: timing), terminator: "")
        if let profiled { print(profiled.text, terminator: "") }
      }
      let warnings = NonFinite.warnings(outputs, order: names)
      for warning in warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
      if strict && !warnings.isEmpty { throw ExitCode.failure }
    } catch let error as RuntimeError {
      FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
      throw ExitCode.failure
    } catch let error as PlanError {
      FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
      throw ExitCode.failure
    }
  }

  /// One run with the input files read straight into the session's arena (no tensor between).
  static func run(_ session: Session, _ sources: [String: InputLoader.Source]) throws -> [String: TypedTensor] {
    // Inputs without the batch have their own fixed shapes: the batched ones give the batch.
    let batched = sources.filter { session.model.hasBatch($0.key) }
    let batches = Set(batched.values.map { $0.shape[0] }).sorted()
    guard batches.count <= 1 else {
      throw RuntimeError.input("inputs disagree on the batch size (\(batches.map(String.init).joined(separator: " and ")))")
    }
    let batch = batches.first ?? session.model.plan.fixedBatch ?? 1
    guard batch > 0 else { throw RuntimeError.input("the input holds no batch items") }
    let names = session.model.inputs.map(\.name)
    return try session.run(batch: batch) { i, values in try sources[names[i]]!.read(into: values) }
  }

  /// Batch mode: every input file through one session, one JSON line each, progress and totals on stderr.
  func runBatch(_ model: CompiledModel, _ session: Session, _ loader: InputLoader, labels: Labels?) throws {
    guard model.inputs.count == 1, let binding = model.inputs.first else {
      throw RuntimeError.input("batch mode feeds single-input plans; this plan has \(model.inputs.count) inputs")
    }
    if let fixed = binding.batch, let batchSize, batchSize != fixed {
      throw RuntimeError.input("the plan was compiled for batch \(fixed): --batch-size must be \(fixed) (or left out)")
    }
    let listed = try inputs + (inputsDirectory.map(BatchRun.files(in:)) ?? [])
    if let inputsDirectory, listed.isEmpty {
      throw RuntimeError.file(path: inputsDirectory, reason: "holds no .npy or .bin files to run")
    }
    let files = shard?.select(listed) ?? listed
    var protected = [plan] + listed
    if let outputsDir {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: outputsDir, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw RuntimeError.file(path: outputsDir, reason: "--outputs-dir must be an existing directory")
      }
    }
    // The JSON lines stream to the file as inputs finish, so a long run keeps what it has done.
    var sink: FileHandle? = nil
    if let output {
      for file in protected where OutputWriter.sameFile(output, file) {
        throw RuntimeError.file(path: output, reason: "refusing to write the results over \(file), which this run reads")
      }
      guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
        throw RuntimeError.file(path: output, reason: "cannot create the results file")
      }
      sink = handle
      protected.append(output)
    }
    defer { try? sink?.close() }
    let emit = { (line: String) in
      if let sink { sink.write(Data((line + "\n").utf8)) } else { print(line) }
    }
    let softmax = { (name: String) in scores.appliesSoftmax(name, model) }
    var regrouping = loader
    regrouping.regroupsItems = true
    var run = BatchRun(
      model: model, session: session, loader: regrouping, batchSize: binding.batch ?? batchSize ?? 8, top: top,
      softmax: softmax, labels: labels, outputsDirectory: outputsDir, protected: protected,
      progress: Progress(total: files.count, quiet: quiet), emit: emit)
    try run.run(files)
    let t = run.totals
    if !quiet {
      let seconds = run.progress.elapsed
      var summary = "done: \(t.inputs) input\(t.inputs == 1 ? "" : "s"), \(InputLoader.items(t.items)) in \(String(format: "%.2f", seconds)) s"
        + " (\(String(format: "%.1f", seconds > 0 ? Double(t.items) / seconds : 0)) items/s, batch \(run.batchSize), \(session.threads) thread\(session.threads == 1 ? "" : "s"))"
      if let shard { summary += ", shard \(shard.index)/\(shard.count) of \(listed.count) inputs" }
      if t.bad > 0 { summary += "; \(t.bad) bad input\(t.bad == 1 ? "" : "s") skipped" }
      if t.nonFinite > 0 { summary += "; \(t.nonFinite) input\(t.nonFinite == 1 ? "" : "s") with NaN or infinite outputs" }
      run.progress.report(summary)
    }
    if t.bad > 0 || (strict && t.nonFinite > 0) { throw ExitCode.failure }
  }
}
