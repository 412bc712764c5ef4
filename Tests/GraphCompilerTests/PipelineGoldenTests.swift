import Foundation
import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// The LeNet graph after every pass, as ``TextPrinter`` prints it, compared with
/// `Golden/lenet-pipeline.txt`. Run with `GRAPHC_UPDATE_GOLDEN=1` to rewrite the file.
final class PipelineGoldenTests: XCTestCase {
  func testLeNetPipelineText() throws {
    var text = ""
    let graphPasses = Set(Pipeline.passes.map(\.name))
    let output = try Pipeline.compile(try Fixtures.lenet()) { pass, context in
      guard graphPasses.contains(pass) else { return }
      text += "// after \(pass)\n" + context.text + "\n"
    }
    text += "// lowered and planned\n" + PlanDescription.listing(output.plan)
    let path = Fixtures.golden("lenet-pipeline.txt")
    if ProcessInfo.processInfo.environment["GRAPHC_UPDATE_GOLDEN"] == "1" {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    let golden = try String(contentsOfFile: path, encoding: .utf8)
    if text != golden {
      let got = text.split(separator: "\n", omittingEmptySubsequences: false)
      let want = golden.split(separator: "\n", omittingEmptySubsequences: false)
      let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
      XCTFail("""
        pipeline text differs from \(path) at line \(first + 1) \
        (rerun with GRAPHC_UPDATE_GOLDEN=1 if the change is intended):
        expected: \(first < want.count ? String(want[first]) : "<end>")
        got:      \(first < got.count ? String(got[first]) : "<end>")
        """)
    }
  }
}
