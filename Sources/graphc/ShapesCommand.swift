import ArgumentParser
import Foundation
import GraphCompiler
import GraphIR

/// `graphc shapes FILE`: reads a model (weights left on disk) and prints every value's shape.
struct ShapesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shapes",
    abstract: "Infer and print the shape of every value of a model."
  )

  @Argument(help: "The ONNX model file.")
  var file: String

  // Unconditional parsing so `--batch -1` reaches our own check instead of looking like a flag.
  @Option(parsing: .unconditional, help: "Bind every symbolic first dim of the graph inputs to this batch size.")
  var batch: Int?

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    if let batch, batch <= 0 {
      throw fail("error: --batch must be a positive integer, got \(batch)")
    }
    let inferred: InferredGraph
    do {
      // The reader already puts the path in front of its errors.
      let model = try ONNXReader.read(contentsOf: file, options: .init(loadExternalData: false))
      do {
        inferred = try ShapeInference.infer(model, bindings: bindings(model.graph))
      } catch let error as GraphError {
        throw error.inFile(file)
      }
    } catch let error as GraphError {
      throw fail("error: \(error.description)")
    }
    print(json ? ShapesReport.json(inferred) : ShapesReport.table(inferred), terminator: "")
  }

  /// `--batch N` binds the symbol in the first dim of each graph input.
  func bindings(_ graph: Graph) -> [String: Int] {
    guard let batch else { return [:] }
    var result: [String: Int] = [:]
    for input in graph.inputs {
      if let first = input.shape?.dims.first, case .symbol(let name) = first { result[name] = batch }
    }
    return result
  }
}
