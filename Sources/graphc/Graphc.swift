import ArgumentParser
import GraphPlan

/// `graphc`: the compiler's command line; each subcommand lives in its own file.
@main
struct Graphc: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "graphc",
    abstract: "A compiler for ONNX-style inference graphs.",
    version: GraphcVersion.current,
    subcommands: [ShapesCommand.self, CompileCommand.self, DotCommand.self, InspectCommand.self, OpsCommand.self]
  )
}
