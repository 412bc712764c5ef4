import ArgumentParser
import Foundation

/// Prints `message` on stderr (file errors start with the path, as GraphError.inFile puts it) and ends the command with exit code 1.
/// Every expected failure goes through here, so the CLI reports and never traps.
func fail(_ message: String) -> ExitCode {
  FileHandle.standardError.write(Data((message + "\n").utf8))
  return ExitCode.failure
}
