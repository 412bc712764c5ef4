import Foundation
import XCTest

/// README and `--help` agree: every option README shows on a `$B/graphc …` or `$B/graphrun …` line
/// (and in its batch-mode paragraph) is one that command's `--help` lists.
final class ReadmeHelpTests: XCTestCase {
  func testEveryOptionInTheReadmeIsInHelp() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc") && CLI.isBuilt("graphrun"), "graphc/graphrun not built")
    let readme = try String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let options = try NSRegularExpression(pattern: "(?<![\\w-])--[a-z][a-z0-9-]*")
    func flags(_ text: String) -> Set<String> {
      Set(options.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
    }
    // Per command (the tool, and graphc's subcommand), the options its README lines use.
    var used: [[String]: Set<String>] = [:]
    for line in readme.split(separator: "\n").map(String.init) where line.hasPrefix("$B/") {
      for part in line.components(separatedBy: ";") {
        let words = part.trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
        guard let tool = words.first?.replacingOccurrences(of: "$B/", with: ""), ["graphc", "graphrun"].contains(tool) else { continue }
        let command = tool == "graphc" && words.count > 1 && !words[1].hasPrefix("-") ? [tool, words[1]] : [tool]
        used[command, default: []].formUnion(flags(part))  // the comments name options of the same command
      }
    }
    // The batch-mode paragraph names graphrun's options too.
    if let batch = readme.range(of: "Batch mode (several input files") {
      let paragraph = readme[batch.lowerBound...].components(separatedBy: "\n\n")[0]
      used[["graphrun"], default: []].formUnion(flags(paragraph))
    }
    XCTAssertGreaterThanOrEqual(used[["graphrun"]]?.count ?? 0, 12, "README's graphrun lines were found: \(used)")
    XCTAssertNotNil(used[["graphc", "compile"]])
    for (command, flags) in used.sorted(by: { $0.key.joined() < $1.key.joined() }) {
      let r = try CLI.run(command[0], Array(command.dropFirst()) + ["--help"])
      XCTAssertEqual(r.status, 0, "\(command) --help: \(r.stderr)")
      for flag in flags.sorted() {
        XCTAssertTrue(r.stdout.contains(flag), "README shows `\(command.joined(separator: " ")) \(flag)`; --help does not list it")
      }
    }
  }
}
