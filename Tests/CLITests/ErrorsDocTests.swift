import Foundation
import TestSupport
import XCTest

/// docs/errors.md lists every error the sources can throw: each type conforming to `Error`
/// and, for enums, each of its cases (as `Type.case`).
final class ErrorsDocTests: XCTestCase {
  func testEveryErrorTypeAndCaseIsDocumented() throws {
    let doc = try String(contentsOf: FixturePaths.packageRoot.appendingPathComponent("docs/errors.md"), encoding: .utf8)
    let errors = try Self.errorDeclarations(in: FixturePaths.packageRoot.appendingPathComponent("Sources"))
    XCTAssertTrue(errors.contains { $0.name == "RuntimeError" && $0.cases.contains("input") }, "the scan finds the runtime's errors")
    XCTAssertTrue(errors.contains { $0.name == "GraphError" }, "the scan finds the compiler's error")
    for error in errors {
      XCTAssertTrue(doc.contains("`\(error.name)`") || doc.contains(".\(error.name)`") || doc.contains("`\(error.name)."),
        "docs/errors.md does not mention \(error.name) (\(error.file))")
      for c in error.cases {
        XCTAssertTrue(doc.contains("`\(error.name).\(c)`"), "docs/errors.md does not document \(error.name).\(c) (\(error.file))")
      }
    }
  }

  struct Declaration {
    var name: String
    var cases: [String]
    var file: String
  }

  /// `enum X: ... Error ...` and `struct X: ... Error ...` declarations, with an enum's own
  /// `case` lines (one indentation level deeper than the declaration).
  static func errorDeclarations(in folder: URL) throws -> [Declaration] {
    let declaration = try NSRegularExpression(pattern: #"^(\s*)(?:public |package |private |fileprivate )?(enum|struct) (\w+)\s*:[^{]*\bError\b"#)
    let caseLine = try NSRegularExpression(pattern: #"^\s*case (.+)$"#)
    var found: [Declaration] = []
    let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
    for case let url as URL in files where url.pathExtension == "swift" {
      let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
      for (i, line) in lines.enumerated() {
        let range = NSRange(line.startIndex..., in: line)
        guard let m = declaration.firstMatch(in: line, range: range) else { continue }
        let indent = String(line[Range(m.range(at: 1), in: line)!])
        let kind = String(line[Range(m.range(at: 2), in: line)!])
        var error = Declaration(name: String(line[Range(m.range(at: 3), in: line)!]), cases: [], file: url.lastPathComponent)
        if kind == "enum" {
          for body in lines[(i + 1)...] {
            if body.hasPrefix(indent + "}") { break }
            guard body.hasPrefix(indent + "  case "), let c = caseLine.firstMatch(in: body, range: NSRange(body.startIndex..., in: body))
            else { continue }
            // `case a, b` and `case file(path: String, reason: String)`: the names before any payload.
            let text = String(body[Range(c.range(at: 1), in: body)!])
            var depth = 0, name = "", names: [String] = []
            for ch in text {
              if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 } else if depth == 0 {
                if ch == "," { names.append(name); name = "" } else if ch != " " { name.append(ch) }
              }
            }
            names.append(name)
            error.cases += names.map { $0.split(separator: "=")[0].trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
          }
        }
        found.append(error)
      }
    }
    return found.sorted { $0.name < $1.name }
  }
}
