import Foundation
import XCTest

/// `graphc ops` prints the registry; docs/ops.md is its generated Markdown.
final class OpsCommandTests: XCTestCase {
  func testDocsListTheRegistrysOps() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc"), "graphc is not built")
    let result = try CLI.run("graphc", ["ops", "--markdown"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let docs = try String(contentsOf: CLI.packageRoot.appendingPathComponent("docs/ops.md"), encoding: .utf8)
    XCTAssertEqual(result.stdout, docs, "docs/ops.md is stale: regenerate with `graphc ops --markdown > docs/ops.md`")
    for op in ["Conv", "Gemm", "Softmax", "Clip"] { XCTAssertTrue(docs.contains("| \(op) |"), op) }
  }

  func testPlainListingCountsOps() throws {
    try XCTSkipUnless(CLI.isBuilt("graphc"), "graphc is not built")
    let result = try CLI.run("graphc", ["ops"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let rows = result.stdout.split(separator: "\n").dropFirst()
    XCTAssertTrue(result.stdout.hasPrefix("\(rows.count) operators"), result.stdout)
  }
}
