import ArgumentParser
import Foundation
import GraphCompiler
import GraphIR
import GraphPlan

/// `graphc dot FILE|PLAN [-o OUT.dot]`: Graphviz DOT of a model's graph or a plan's schedule.
struct DotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dot",
    abstract: "Draw a model or a compiled plan as a Graphviz DOT graph.",
    discussion: """
      A model (ONNX) gives one box per node and edges labeled with inferred shapes. \
      A plan file (recognized by its "GRPHPLAN" magic) gives one box per step and edges \
      through the arena labeled with offsets and sizes in bytes per batch item. \
      Render with e.g. `dot -Tsvg graph.dot -o graph.svg`.
      """
  )

  @Argument(help: "An ONNX model file or a plan file written by `graphc compile`.")
  var file: String

  @Option(name: .shortAndLong, help: "Where to write the DOT text (default: standard output).")
  var output: String?

  func run() throws {
    let text: String
    do {
      text = try PlanFile.isPlan(file) ? planDot() : modelDot()
      if let output {
        try ONNXWriter.writeAtomically(Array(text.utf8), to: output)
      } else {
        print(text, terminator: "")
      }
    } catch let error as GraphError {
      throw fail("error: \(error.description)")
    } catch let error as PlanError {
      throw fail("error: \(error.description)")
    }
  }

  func planDot() throws -> String {
    PlanDot.dot(try PlanFile.read(file), title: URL(fileURLWithPath: file).lastPathComponent)
  }

  /// Shapes come from inference; a graph inference rejects is still drawn, without them.
  func modelDot() throws -> String {
    let model = try ONNXReader.read(contentsOf: file, options: .init(loadExternalData: false))
    var shapes: [String: Shape] = [:]
    do {
      let inferred = try ShapeInference.infer(model)
      for v in inferred.values where v.kind != .initializer { shapes[v.name] = v.shape }
    } catch {
      FileHandle.standardError.write(Data("warning: \(file): \(error); drawing without inferred shapes\n".utf8))
    }
    return DotPrinter.dot(model.graph, shapes: shapes)
  }
}

/// Recognizing plan files before reading them.
enum PlanFile {
  /// Whether `path` starts with the plan magic. A missing or unreadable file is an error naming it.
  static func isPlan(_ path: String) throws -> Bool {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw GraphError(path, "no such file")
    }
    guard !isDirectory.boolValue else { throw GraphError(path, "is a directory") }
    guard let handle = FileHandle(forReadingAtPath: path) else { throw GraphError(path, "cannot open file") }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: PlanFormat.magic.count)) ?? Data()
    return Array(head) == PlanFormat.magic
  }

  /// The validated plan in `path` (its weights are checked by the checksum, not loaded).
  static func read(_ path: String) throws -> Plan {
    guard let bytes = FileManager.default.contents(atPath: path) else { throw GraphError(path, "cannot read file") }
    return try bytes.withUnsafeBytes { try PlanReader.decode($0, source: path).plan }
  }
}
