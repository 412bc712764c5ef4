import Foundation
import GraphIR
import TestSupport
import XCTest

@testable import GraphCompiler

/// Every value's inferred shape for each network in Graphs/, compared exactly with
/// `Golden/shapes/<name>.txt` (rewrite with `GRAPHC_UPDATE_GOLDEN=1`), plus the
/// shapes the reference design states, asserted by value name.
final class ShapeGoldenTests: XCTestCase {
  static let graphsDirectory = FixturePaths.graphs
  static let networks = ["lenet", "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "googlenet", "resnet18", "resnet34", "resnet50"]

  func shapes(_ network: String, batch: Int? = nil) throws -> InferredGraph {
    let path = Self.graphsDirectory.appendingPathComponent("\(network).graph").path
    let model = try ONNXReader.read(contentsOf: path, options: .init(loadExternalData: false))
    return try ShapeInference.infer(model, bindings: try Pipeline.batchBindings(model.graph, batch))
  }

  /// `value<TAB>op<TAB>shape` for every node output, in schedule order.
  func listing(_ g: InferredGraph) -> String {
    g.values.filter { $0.kind != .initializer }.map { "\($0.name)\t\($0.op ?? "input")\t\($0.shape)" }.joined(separator: "\n") + "\n"
  }

  func testEveryNetworkMatchesItsGoldenFile() throws {
    for network in Self.networks {
      let text = listing(try shapes(network))
      let path = Fixtures.golden("shapes/\(network).txt")
      if ProcessInfo.processInfo.environment["GRAPHC_UPDATE_GOLDEN"] == "1" {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        continue
      }
      let golden = try String(contentsOfFile: path, encoding: .utf8)
      XCTAssertEqual(text, golden, "\(network): shapes differ from \(path)")
    }
  }

  /// Asserts `name` has shape N x `dims` in `network`.
  func expect(_ g: InferredGraph, _ name: String, _ dims: [Int], file: StaticString = #filePath, line: UInt = #line) {
    guard let value = g[name] else { return XCTFail("\(g.name) has no value '\(name)'", file: file, line: line) }
    XCTAssertEqual(value.shape, Shape([.symbol("N")] + dims.map(Dim.fixed)), "\(g.name): \(name)", file: file, line: line)
  }

  func testLeNetShapesFromTheDesign() throws {
    let g = try shapes("lenet")
    for (name, dims) in [("conv1", [6, 28, 28]), ("pool1", [6, 14, 14]), ("conv2", [16, 10, 10]), ("pool2", [16, 5, 5]),
                         ("fc1", [120]), ("fc2", [84]), ("logits", [10])] { expect(g, name, dims) }
  }

  func testAlexNetShapesFromTheDesign() throws {
    let g = try shapes("alexnet")
    for (name, dims) in [("features.0", [96, 55, 55]), ("features.2", [96, 27, 27]), ("features.3", [256, 27, 27]),
                         ("features.5", [256, 13, 13]), ("features.6", [384, 13, 13]), ("features.8", [384, 13, 13]),
                         ("features.10", [256, 13, 13]), ("features.12", [256, 6, 6]), ("classifier.fc1", [4096]),
                         ("classifier.fc2", [4096]), ("logits", [1000])] { expect(g, name, dims) }
  }

  func testVGGShapesFromTheDesign() throws {
    for network in ["vgg11", "vgg13", "vgg16", "vgg19"] {
      let g = try shapes(network)
      let pools = g.values.filter { $0.op == "MaxPool" }.map(\.name)
      XCTAssertEqual(pools.count, 5, network)
      for (name, dims) in zip(pools, [[64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 7, 7]]) {
        expect(g, name, dims)
      }
      expect(g, "flatten", [25088])
      expect(g, "classifier.fc1", [4096])
      expect(g, "logits", [1000])
    }
  }

  func testGoogLeNetShapesFromTheDesign() throws {
    let g = try shapes("googlenet")
    for (name, dims) in [("conv1", [64, 112, 112]), ("maxpool1", [64, 56, 56]), ("conv3", [192, 56, 56]),
                         ("inception3a/concat", [256, 28, 28]), ("inception3b/concat", [480, 28, 28]),
                         ("maxpool3", [480, 14, 14]), ("inception4a/concat", [512, 14, 14]),
                         ("inception4d/concat", [528, 14, 14]), ("inception4e/concat", [832, 14, 14]),
                         ("maxpool4", [832, 7, 7]), ("inception5b/concat", [1024, 7, 7]), ("avgpool", [1024, 1, 1]),
                         ("logits", [1000]), ("aux1/pool", [512, 4, 4]), ("aux1", [1000]), ("aux2", [1000])] {
      expect(g, name, dims)
    }
  }

  func testResNetShapesFromTheDesign() throws {
    for (network, last, expansion) in [("resnet18", [1, 1, 1, 1], 1), ("resnet34", [2, 3, 5, 2], 1), ("resnet50", [2, 3, 5, 2], 4)] {
      let g = try shapes(network)
      let relu = expansion == 1 ? "relu2" : "relu3"
      for (stage, (channels, size)) in [(64, 56), (128, 28), (256, 14), (512, 7)].enumerated() {
        expect(g, "layer\(stage + 1).\(last[stage]).\(relu)", [channels * expansion, size, size])
      }
      expect(g, "maxpool", [64, 56, 56])
      expect(g, "logits", [1000])
    }
  }

  func testBatchOptionMakesEveryShapeConcrete() throws {
    let g = try shapes("googlenet", batch: 4)
    XCTAssertTrue(g.values.allSatisfy { $0.shape.fixedDims != nil })
    XCTAssertEqual(g["logits"]?.shape, Shape(fixed: [4, 1000]))
  }
}
