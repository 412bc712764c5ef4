import Foundation
import GraphIR
import XCTest

@testable import GraphCompiler

/// Compiles every network in Graphs/ and asserts what the compiler did to it:
/// folds, fusions, zero-copy concats and an arena within 5% of the lower bound.
/// Networks with external weights need `Tools/make-graphs.sh` first (CI runs it);
/// without their `.weights` file they are skipped.
final class CompiledNetworkTests: XCTestCase {
  struct Expected {
    var steps: Int, batchnorm: Int, convRelu: Int, convAddRelu: Int, gemmRelu: Int, concatInPlace: Int
  }

  static let expected: [String: Expected] = [
    "lenet": .init(steps: 7, batchnorm: 0, convRelu: 2, convAddRelu: 0, gemmRelu: 2, concatInPlace: 0),
    "alexnet": .init(steps: 11, batchnorm: 0, convRelu: 5, convAddRelu: 0, gemmRelu: 2, concatInPlace: 0),
    "vgg11": .init(steps: 16, batchnorm: 0, convRelu: 8, convAddRelu: 0, gemmRelu: 2, concatInPlace: 0),
    "vgg13": .init(steps: 18, batchnorm: 0, convRelu: 10, convAddRelu: 0, gemmRelu: 2, concatInPlace: 0),
    "vgg16": .init(steps: 21, batchnorm: 0, convRelu: 13, convAddRelu: 0, gemmRelu: 2, concatInPlace: 0),
    "vgg19": .init(steps: 24, batchnorm: 0, convRelu: 16, convAddRelu: 0, gemmRelu: 2, concatInPlace: 0),
    // 3 stem convs + 9 inceptions x 6 convs + 2 aux convs; aux fc1s carry the ReLUs; 9 x 4 concat inputs.
    "googlenet": .init(steps: 80, batchnorm: 0, convRelu: 59, convAddRelu: 0, gemmRelu: 2, concatInPlace: 36),
    "resnet18": .init(steps: 23, batchnorm: 20, convRelu: 9, convAddRelu: 8, gemmRelu: 0, concatInPlace: 0),
    "resnet34": .init(steps: 39, batchnorm: 36, convRelu: 17, convAddRelu: 16, gemmRelu: 0, concatInPlace: 0),
    "resnet50": .init(steps: 56, batchnorm: 53, convRelu: 33, convAddRelu: 16, gemmRelu: 0, concatInPlace: 0),
  ]

  func compile(_ network: String) throws -> Pipeline.Output {
    let graphs = ShapeGoldenTests.graphsDirectory
    if network != "lenet", !FileManager.default.fileExists(atPath: graphs.appendingPathComponent("\(network).weights").path) {
      throw XCTSkip("Graphs/\(network).weights is missing: run Tools/make-graphs.sh")
    }
    return try Pipeline.compile(try ONNXReader.read(contentsOf: graphs.appendingPathComponent("\(network).graph").path))
  }

  func check(_ network: String) throws {
    let r = try compile(network).report
    let e = Self.expected[network]!
    XCTAssertEqual(r.steps, e.steps, "\(network) steps")
    XCTAssertEqual(r.batchnormFolded, e.batchnorm, "\(network) BatchNorms folded")
    XCTAssertEqual(r.convRelu, e.convRelu, "\(network) conv+relu")
    XCTAssertEqual(r.convAddRelu, e.convAddRelu, "\(network) conv+add+relu")
    XCTAssertEqual(r.gemmRelu, e.gemmRelu, "\(network) gemm+relu")
    XCTAssertEqual(r.concatInPlace, e.concatInPlace, "\(network) concat inputs in place")
    XCTAssertEqual(r.copyBytes, 0, "\(network) copies no bytes")
    XCTAssertLessThanOrEqual(Double(r.arenaBytes), 1.05 * Double(r.lowerBoundBytes), "\(network) arena within 5% of the bound")
    XCTAssertLessThan(r.arenaBytes, r.naiveBytes, "\(network) arena reuses memory")
  }

  func testLeNet() throws { try check("lenet") }
  func testAlexNet() throws { try check("alexnet") }
  func testVGG11() throws { try check("vgg11") }
  func testVGG13() throws { try check("vgg13") }
  func testVGG16() throws { try check("vgg16") }
  func testVGG19() throws { try check("vgg19") }
  func testGoogLeNet() throws { try check("googlenet") }
  func testResNet18() throws { try check("resnet18") }
  func testResNet34() throws { try check("resnet34") }
  func testResNet50() throws { try check("resnet50") }
}
