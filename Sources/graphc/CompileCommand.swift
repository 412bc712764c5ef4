import ArgumentParser
import Foundation
import GraphCompiler
import GraphIR
import GraphPlan

/// `graphc compile FILE -o PLAN`: runs the pass pipeline and writes a plan file.
struct CompileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compile",
    abstract: "Compile a model into a self-contained plan file.",
    discussion: "Passes, in order: \(Pipeline.passNames.joined(separator: ", "))."
  )

  @Argument(help: "The ONNX model file (.graph or .onnx).")
  var file: String

  @Option(name: .shortAndLong, help: "Where to write the plan.")
  var output: String

  @Option(parsing: .unconditional, help: "Fix the batch size; without it the plan runs any batch.")
  var batch: Int?

  @Flag(help: "Print a human summary of the compilation.")
  var report = false

  @Flag(help: "Print the compilation report as JSON.")
  var json = false

  @Option(help: "Print the graph after this pass (one of: \(Pipeline.passNames.joined(separator: ", "))); a pass that runs twice prints twice, labelled.")
  var printAfter: String?

  @Flag(help: "Print the graph after the last graph pass.")
  var printIr = false

  @Flag(help: "Print how long reading, each pass and writing took (on stderr).")
  var timePasses = false

  @Option(name: .customLong("max-memory"), help: ArgumentHelp(Limits.memoryHelp, valueName: "size"))
  var limits: Limits = .machine

  @Flag(inversion: .prefixedNo, help: "Run 3x3 convs as Winograd where it is faster (--no-winograd: im2col + GEMM, closer to an exact result in deep networks that amplify rounding).")
  var winograd = true

  func validate() throws {
    if let batch, batch <= 0 { throw ValidationError("--batch must be a positive integer, got \(batch)") }
    if let printAfter, !Pipeline.passNames.contains(printAfter) {
      throw ValidationError("unknown pass '\(printAfter)'; passes are \(Pipeline.passNames.joined(separator: ", "))")
    }
  }

  func run() throws {
    let started = Date()
    let result: Pipeline.Output
    do {
      try refuseToOverwrite(file, with: output)
      var clock = Date()
      func lap(_ what: String) {
        if timePasses { FileHandle.standardError.write(Data((what.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%9.1f ms\n", Date().timeIntervalSince(clock) * 1000)).utf8)) }
        clock = Date()
      }
      let model = try ONNXReader.read(contentsOf: file, options: .init(limits: limits))
      for weights in model.externalDataFiles.sorted() { try refuseToOverwrite(weights, with: output, what: "its model's external data") }
      lap("read")
      // A pass that runs twice (infer-shapes) is printed after each run, labelled with which run it is.
      let runs = Dictionary(Pipeline.passNames.map { ($0, 1) }, uniquingKeysWith: +)
      var seen: [String: Int] = [:]
      do {
        result = try Pipeline.compile(model, options: .init(batch: batch, limits: limits, winograd: winograd)) { pass, context in
          lap(pass)
          seen[pass, default: 0] += 1
          if pass == printAfter || (printIr && pass == Pipeline.passes.last?.name) {
            let which = runs[pass, default: 1] > 1 ? " (run \(seen[pass]!) of \(runs[pass]!))" : ""
            print("// after \(pass)\(which)")
            print(context.text, terminator: "")
          }
        }
      } catch let error as GraphError {
        throw error.inFile(file)
      }
      // The plan records which release compiled it from which model (file name and SHA-256).
      var plan = result.plan
      do {
        plan.provenance = PlanProvenance(modelPath: file, bytes: try Data(contentsOf: URL(fileURLWithPath: file)))
      } catch {
        throw GraphError(file, "cannot read to record its SHA-256 (\(error.localizedDescription))")
      }
      let bytes = try plan.serialized(weights: result.weights)
      lap("serialize")
      try ONNXWriter.writeAtomically(bytes, to: output)
      lap("write")
    } catch let error as GraphError {
      throw fail("error: \(error.description)")
    }
    let seconds = Date().timeIntervalSince(started)
    if json { print(CompileReportFormat.json(result.report, seconds: seconds)) }
    if report { print(CompileReportFormat.text(result.report, file: file, output: output, seconds: seconds), terminator: "") }
  }

  /// The plan must never replace the model it came from, nor the model's weights.
  func refuseToOverwrite(_ input: String, with output: String, what: String = "its input model") throws {
    let a = URL(fileURLWithPath: input).resolvingSymlinksInPath().path
    let b = URL(fileURLWithPath: output).resolvingSymlinksInPath().path
    if a == b { throw GraphError(output, "refusing to write the plan over \(what)") }
  }
}

/// The compile report as text and JSON.
enum CompileReportFormat {
  static func json(_ r: CompileReport, seconds: Double) -> String {
    let object: [String: Any] = [
      "nodes_in": r.nodesIn, "steps": r.steps, "batchnorm_folded": r.batchnormFolded, "affine_folded": r.affineFolded,
      "fused": ["conv_relu": r.convRelu, "conv_add_relu": r.convAddRelu, "gemm_relu": r.gemmRelu],
      "concat_in_place": r.concatInPlace, "copy_bytes": r.copyBytes, "arena_bytes": r.arenaBytes,
      "lower_bound_bytes": r.lowerBoundBytes, "naive_bytes": r.naiveBytes, "weights_bytes": r.weightsBytes,
      "memory_strategy": r.memoryStrategy, "conv_algorithms": r.convAlgorithms, "batch": r.batch.map { $0 as Any } ?? NSNull(),
      "compile_seconds": (seconds * 1000).rounded() / 1000, "version": GraphcVersion.current,
    ]
    // Only strings, numbers, arrays and dictionaries go in, so serialization cannot fail.
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func text(_ r: CompileReport, file: String, output: String, seconds: Double) -> String {
    func mb(_ bytes: Int) -> String { String(format: "%.2f MB", Double(bytes) / 1_048_576) }
    let per = r.batch.map { "batch \($0)" } ?? "per batch item"
    let ratio = r.lowerBoundBytes > 0 ? Double(r.arenaBytes) / Double(r.lowerBoundBytes) : 1
    // Most convs first, then by name.
    let algorithms = r.convAlgorithms.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.value) \($0.key)" }
    return """
      \(file) → \(output) in \(String(format: "%.2f", seconds)) s
        nodes \(r.nodesIn) → steps \(r.steps)
        folded: \(r.batchnormFolded) BatchNorm, \(r.affineFolded) Mul/Add
        fused: \(r.convRelu) conv+relu, \(r.convAddRelu) conv+add(+relu), \(r.gemmRelu) gemm+relu
        convs: \(algorithms.isEmpty ? "none" : algorithms.joined(separator: ", "))
        concat: \(r.concatInPlace) inputs in place, \(r.copyBytes) bytes copied (\(per))
        arena \(mb(r.arenaBytes)) (\(per)), lower bound \(mb(r.lowerBoundBytes)) (×\(String(format: "%.3f", ratio))), naive \(mb(r.naiveBytes)); \(r.memoryStrategy)
        weights \(mb(r.weightsBytes))

      """
  }
}
