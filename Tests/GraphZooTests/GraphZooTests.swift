import Foundation
import GraphIR
import XCTest

@testable import GraphZoo

final class GraphZooTests: XCTestCase {
  /// Seeded ResNet-18 (11.7M floats), built once: generating it is the slow part of these tests in debug.
  static let resnet18 = Zoo.resnet18()

  // MARK: - Helpers

  func opCounts(_ g: Graph) -> [String: Int] {
    g.nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
  }

  /// Trainable parameters as PyTorch counts them (BatchNorm running stats and Dropout ratios excluded).
  func parameterCount(_ g: Graph) -> Int {
    g.initializers.filter { !$0.key.hasSuffix(".mean") && !$0.key.hasSuffix(".var") && !$0.key.hasSuffix(".ratio") }
      .values.reduce(0) { $0 + $1.elementCount }
  }

  /// Structural invariants every zoo graph must satisfy.
  func checkWellFormed(
    _ model: Model, name: String, inputDims: [Int], outputs: [String], classes: Int,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    let g = model.graph
    XCTAssertEqual(model.irVersion, 8, file: file, line: line)
    XCTAssertEqual(model.opsetImports, ["": 13], file: file, line: line)
    XCTAssertEqual(g.name, name, file: file, line: line)
    XCTAssertEqual(g.inputs.map(\.name), ["input"], file: file, line: line)
    XCTAssertEqual(g.inputs.first?.shape, Shape([.symbol("N")] + inputDims.map(Dim.fixed)), file: file, line: line)
    XCTAssertEqual(g.outputs.map(\.name), outputs, file: file, line: line)
    for o in g.outputs {
      XCTAssertEqual(o.shape, [.symbol("N"), .fixed(classes)], "\(name) output \(o.name)", file: file, line: line)
    }
    var defined = Set(g.inputs.map(\.name)).union(g.initializers.keys)
    var nodeNames = Set<String>()
    var used = Set<String>()
    for node in g.nodes {
      XCTAssertTrue(nodeNames.insert(node.name).inserted, "\(name): node \(node.name) twice", file: file, line: line)
      for input in node.inputs {
        XCTAssertTrue(defined.contains(input), "\(name): \(node.label) reads undefined '\(input)'", file: file, line: line)
        used.insert(input)
      }
      XCTAssertEqual(node.outputs.count, 1, file: file, line: line)
      let out = node.outputs[0]
      if !outputs.contains(out) {
        XCTAssertEqual(out, node.name, "\(name): node output named like the node", file: file, line: line)
      }
      XCTAssertFalse(defined.contains(out), "\(name): '\(out)' defined twice", file: file, line: line)
      defined.insert(out)
    }
    for o in outputs { XCTAssertTrue(defined.contains(o), "\(name): output \(o) not produced", file: file, line: line) }
    for key in g.initializers.keys {
      XCTAssertTrue(used.contains(key), "\(name): unused initializer \(key)", file: file, line: line)
    }
  }

  var fixturePath: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/digits/lenet-digits.onnx").path
  }

  func tempDir() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("graphzoo-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }

  // MARK: - Structure (placeholders: no weight cost)

  func testEveryNetworkBuildsWellFormed() throws {
    XCTAssertEqual(Zoo.names.count, 10)
    for name in Zoo.names {
      let model = try Zoo.model(named: name, weights: .placeholder)
      let isLeNet = name == "lenet"
      checkWellFormed(
        model, name: name, inputDims: isLeNet ? [1, 28, 28] : [3, 224, 224],
        outputs: name == "googlenet" ? ["logits", "aux1", "aux2"] : ["logits"], classes: isLeNet ? 10 : 1000)
      XCTAssertTrue(model.graph.initializers.allSatisfy { !$0.value.isLoaded || $0.key.hasSuffix(".ratio") }, name)
    }
  }

  func testUnknownNamesThrow() {
    XCTAssertThrowsError(try Zoo.model(named: "resnet101", weights: .placeholder))
    XCTAssertThrowsError(try Zoo.vgg(depth: 12, weights: .placeholder))
  }

  func testResNetCounts() {
    let r18 = Zoo.resnet18(weights: .placeholder).graph
    // conv1 + 8 blocks x 2 + 3 downsample.
    XCTAssertEqual(opCounts(r18)["BatchNormalization"], 20)
    XCTAssertEqual(opCounts(r18)["Conv"], 20)
    XCTAssertEqual(opCounts(r18)["Add"], 8)
    XCTAssertEqual(opCounts(r18)["Relu"], 17)
    XCTAssertEqual(opCounts(r18)["Gemm"], 1)
    XCTAssertEqual(parameterCount(r18), 11_689_512)  // torchvision resnet18
    XCTAssertNil(r18.initializers["conv1.bias"])
    XCTAssertEqual(r18.initializers["layer3.1.bn2.var"]?.dims, [256])
    XCTAssertNotNil(r18.nodes.first { $0.name == "layer3.1.relu2" && $0.inputs == ["layer3.1.add"] })
    XCTAssertEqual(r18.nodes.first { $0.name == "layer2.0.downsample.0" }?.attributes["strides"], .ints([2, 2]))
    XCTAssertEqual(r18.nodes.first { $0.name == "bn1" }?.attributes["epsilon"], .float(1e-5))

    let r34 = Zoo.resnet34(weights: .placeholder).graph
    XCTAssertEqual(opCounts(r34)["BatchNormalization"], 1 + 16 * 2 + 3)
    XCTAssertEqual(opCounts(r34)["Add"], 16)
    XCTAssertEqual(parameterCount(r34), 21_797_672)

    let r50 = Zoo.resnet50(weights: .placeholder).graph
    XCTAssertEqual(opCounts(r50)["BatchNormalization"], 1 + 16 * 3 + 4)
    XCTAssertEqual(opCounts(r50)["Conv"], 53)
    XCTAssertEqual(opCounts(r50)["Add"], 16)
    XCTAssertEqual(parameterCount(r50), 25_557_032)
    // v1.5: the stride sits on the 3x3 conv.
    XCTAssertEqual(r50.nodes.first { $0.name == "layer2.0.conv1" }?.attributes["strides"], .ints([1, 1]))
    XCTAssertEqual(r50.nodes.first { $0.name == "layer2.0.conv2" }?.attributes["strides"], .ints([2, 2]))
    XCTAssertEqual(r50.initializers["fc.weight"]?.dims, [1000, 2048])
  }

  func testVGGCounts() throws {
    let expected = [11: (8, 132_863_336), 13: (10, 133_047_848), 16: (13, 138_357_544), 19: (16, 143_667_240)]
    for (depth, (convs, params)) in expected {
      let g = try Zoo.vgg(depth: depth, weights: .placeholder).graph
      let ops = opCounts(g)
      XCTAssertEqual(ops["Conv"], convs, "vgg\(depth)")
      XCTAssertEqual(ops["Relu"], convs + 2, "vgg\(depth)")
      XCTAssertEqual(ops["MaxPool"], 5, "vgg\(depth)")
      XCTAssertEqual(ops["Gemm"], 3, "vgg\(depth)")
      XCTAssertEqual(ops["Dropout"], 2, "vgg\(depth)")
      XCTAssertEqual(parameterCount(g), params, "vgg\(depth)")  // torchvision vgg<depth>
      XCTAssertEqual(g.initializers["classifier.fc1.weight"]?.dims, [4096, 25088])
    }
    let vgg16 = Zoo.vgg16(weights: .placeholder).graph
    XCTAssertEqual(vgg16.nodes.first?.name, "features.0")
    XCTAssertEqual(vgg16.nodes.first { $0.opType == "MaxPool" }?.name, "features.4")
    XCTAssertEqual(vgg16.nodes.last { $0.opType == "MaxPool" }?.name, "features.30")
  }

  func testAlexNet() {
    let g = Zoo.alexnet(weights: .placeholder).graph
    let ops = opCounts(g)
    XCTAssertEqual(ops["Conv"], 5)
    XCTAssertEqual(ops["Relu"], 7)
    XCTAssertEqual(ops["MaxPool"], 3)
    XCTAssertEqual(ops["Gemm"], 3)
    XCTAssertEqual(ops["Dropout"], 2)
    XCTAssertEqual(parameterCount(g), 62_378_344)
    XCTAssertEqual(g.initializers["features.0.weight"]?.dims, [96, 3, 11, 11])
    XCTAssertEqual(g.initializers["classifier.fc1.weight"]?.dims, [4096, 9216])
  }

  func testGoogLeNet() {
    let g = Zoo.googlenet(weights: .placeholder).graph
    let ops = opCounts(g)
    XCTAssertEqual(ops["Concat"], 9)
    XCTAssertEqual(ops["Conv"], 3 + 9 * 6 + 2)
    XCTAssertEqual(ops["Gemm"], 1 + 2 * 2)
    XCTAssertEqual(ops["MaxPool"], 4 + 9)
    XCTAssertEqual(ops["AveragePool"], 2)
    XCTAssertEqual(ops["GlobalAveragePool"], 1)
    XCTAssertEqual(ops["Dropout"], 1 + 2 * 2)
    XCTAssertEqual(g.initializers["inception3a/branch3/conv5x5.weight"]?.dims, [32, 16, 5, 5])
    XCTAssertEqual(g.initializers["inception5b/branch2/conv3x3.bias"]?.dims, [384])
    XCTAssertEqual(g.initializers["aux2/conv.weight"]?.dims, [128, 528, 1, 1])
    XCTAssertEqual(g.initializers["aux1/fc1.weight"]?.dims, [1024, 2048])
    XCTAssertEqual(g.initializers["fc.weight"]?.dims, [1000, 1024])
    XCTAssertEqual(
      g.nodes.first { $0.name == "inception4a/concat" }?.inputs,
      [
        "inception4a/branch1/conv1x1/relu", "inception4a/branch2/conv3x3/relu",
        "inception4a/branch3/conv5x5/relu", "inception4a/branch4/conv1x1/relu",
      ])
    XCTAssertEqual(g.nodes.first { $0.name == "aux1/pool" }?.inputs, ["inception4a/concat"])
    XCTAssertEqual(g.nodes.first { $0.name == "aux2/pool" }?.inputs, ["inception4d/concat"])
    XCTAssertEqual(g.nodes.first { $0.name == "maxpool4" }?.attributes["ceil_mode"], .int(1))
    XCTAssertEqual(g.nodes.first { $0.name == "dropout" }.flatMap { g.initializers[$0.inputs[1]] }, Tensor(scalar: 0.4))

    let plain = Zoo.googlenet(auxHeads: false, weights: .placeholder).graph
    XCTAssertEqual(plain.outputs.map(\.name), ["logits"])
    XCTAssertFalse(plain.nodes.contains { $0.name.hasPrefix("aux") })
  }

  /// The per-sample shapes the builder tracks, checked against the reference design's comments.
  func testTrackedShapes() {
    XCTAssertEqual(NetBuilder.outSize(112, kernel: 3, stride: 2, pad: 0, ceil: true), 56)
    XCTAssertEqual(NetBuilder.outSize(14, kernel: 3, stride: 2, pad: 0, ceil: true), 7)
    XCTAssertEqual(NetBuilder.outSize(14, kernel: 5, stride: 3, pad: 0), 4)
    XCTAssertEqual(NetBuilder.outSize(224, kernel: 11, stride: 4, pad: 2), 55)
    // ceil mode: a last window starting in the right padding is dropped.
    XCTAssertEqual(NetBuilder.outSize(5, kernel: 2, stride: 2, pad: 1, ceil: true), 3)

    let net = NetBuilder(name: "t", weights: .placeholder)
    var x = net.input([3, 224, 224])
    x = net.conv("c", x, out: 64, kernel: 7, stride: 2, pad: 3)
    XCTAssertEqual(net.shape(x), [64, 112, 112])
    x = net.maxPool("p", x, kernel: 3, stride: 2, ceil: true)
    XCTAssertEqual(net.shape(x), [64, 56, 56])
    x = net.globalAvgPool("g", x)
    XCTAssertEqual(net.shape(net.flatten("f", x)), [64])
  }

  // MARK: - Weights

  func testLeNetHasTheFixtureWeights() throws {
    let model = try Zoo.lenet(weightsFrom: fixturePath)
    let fixture = try ONNXReader.read(contentsOf: fixturePath).graph.initializers
    XCTAssertEqual(Set(model.graph.initializers.keys), Set(fixture.keys))
    for (name, tensor) in model.graph.initializers {
      XCTAssertEqual(tensor, fixture[name], name)
      XCTAssertTrue(tensor.isLoaded)
    }
    XCTAssertEqual(parameterCount(model.graph), 61_706)
    XCTAssertEqual(try Zoo.model(named: "lenet", lenetWeights: fixturePath), model)
    XCTAssertEqual(model.graph.nodes.first { $0.opType == "Conv" }?.attributes["pads"], .ints([2, 2, 2, 2]))
  }

  func testLeNetWeightsErrors() {
    XCTAssertThrowsError(try Zoo.lenet(weightsFrom: "/nonexistent/lenet.onnx"))
  }

  func testSeededWeightsAreDeterministicAndDistributed() throws {
    let g = Self.resnet18.graph
    XCTAssertTrue(g.initializers.values.allSatisfy(\.isLoaded))
    XCTAssertEqual(Zoo.lenet(weights: .seeded), Zoo.lenet(weights: .seeded))
    XCTAssertNotEqual(Zoo.lenet(weights: .seeded).graph.initializers["fc1.weight"], try Zoo.lenet(weightsFrom: fixturePath).graph.initializers["fc1.weight"])

    func stats(_ name: String) -> (mean: Double, std: Double, min: Float, max: Float) {
      let v = g.initializers[name]!.floats
      let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
      let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
      return (mean, variance.squareRoot(), v.min()!, v.max()!)
    }
    // Kaiming normal, fan_out = 64·3·3.
    let conv = stats("layer1.0.conv2.weight")
    XCTAssertEqual(conv.mean, 0, accuracy: 0.002)
    XCTAssertEqual(conv.std, (2.0 / 576).squareRoot(), accuracy: 0.002)
    let fc = stats("fc.weight")
    XCTAssertEqual(fc.std, 0.01, accuracy: 0.0002)
    let scale = stats("layer4.1.bn2.scale")
    XCTAssertGreaterThanOrEqual(scale.min, 0.5)
    XCTAssertLessThan(scale.max, 1.5)
    XCTAssertEqual(scale.mean, 1, accuracy: 0.05)
    let variance = stats("layer4.1.bn2.var")
    XCTAssertGreaterThanOrEqual(variance.min, 0.5)
    XCTAssertEqual(stats("layer4.1.bn2.mean").std, 0.1, accuracy: 0.02)
    XCTAssertNotEqual(g.initializers["layer1.0.conv1.weight"], g.initializers["layer1.1.conv1.weight"])

    // Conv biases are small and nonzero (ResNet convs have none; LeNet's seeded ones do).
    let bias = Zoo.lenet(weights: .seeded).graph.initializers["conv2.bias"]!.floats
    XCTAssertTrue(bias.contains { $0 != 0 })
    XCTAssertTrue(bias.allSatisfy { abs($0) < 0.06 })
  }

  // MARK: - Round trip through the ONNX writer and reader

  func testLeNetRoundTrip() throws {
    let model = try Zoo.lenet(weightsFrom: fixturePath)
    let out = try ONNXWriter.serialize(model)
    XCTAssertNil(out.weights)
    let back = try ONNXReader.read(bytes: Data(out.model), baseDirectory: nil)
    XCTAssertEqual(back, model)
  }

  /// A tiny network with every layer kind, written with external data and read back.
  func testTinyNetworkRoundTripWithExternalData() throws {
    let net = NetBuilder(name: "tiny", weights: .seeded)
    var x = net.input([3, 16, 16])
    x = net.conv("stem", x, out: 8, kernel: 3, stride: 2, pad: 1, bias: false)
    x = net.relu("stem.relu", net.batchNorm("stem.bn", x))
    let a = net.maxPool("a", x, kernel: 3, stride: 1, pad: 1)
    let b = net.avgPool("b", x, kernel: 3, stride: 1, pad: 1)
    let c = net.conv("c", x, out: 8, kernel: 1)
    x = net.concat("cat", [net.add("sum", a, b), c])
    x = net.dropout("drop", net.flatten("flat", net.globalAvgPool("gap", x)), ratio: 0.25)
    x = net.linear("fc", x, out: 5, output: "logits")
    net.output(x)
    let model = net.model()
    XCTAssertEqual(net.shape("cat"), [16, 8, 8])

    let dir = try tempDir()
    let path = dir.appendingPathComponent("tiny.graph").path
    try ONNXWriter.write(model, to: path, externalData: "tiny.weights", externalThreshold: 64)
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tiny.weights").path))
    XCTAssertEqual(try ONNXReader.read(contentsOf: path), model)
    let shapesOnly = try ONNXReader.read(contentsOf: path, options: .init(loadExternalData: false))
    XCTAssertEqual(shapesOnly.graph.nodes, model.graph.nodes)
    XCTAssertEqual(shapesOnly.graph.initializers["stem.weight"]?.dims, [8, 3, 3, 3])
  }

  func testResNet18RoundTripAndStableBytes() throws {
    let model = Self.resnet18
    let first = try ONNXWriter.serialize(model, externalData: "resnet18.weights", externalThreshold: 4096)
    XCTAssertLessThan(first.model.count, 1 << 20)

    let dir = try tempDir()
    try Data(first.model).write(to: dir.appendingPathComponent("resnet18.graph"))
    try Data(first.weights!).write(to: dir.appendingPathComponent("resnet18.weights"))
    XCTAssertEqual(try ONNXReader.read(contentsOf: dir.appendingPathComponent("resnet18.graph").path), model)

    // The committed Graphs/resnet18.graph (written by a release build) must be what the zoo writes now:
    // this catches stale graphs and any debug/release difference in the seeded weights.
    let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Graphs/resnet18.graph")
    if let bytes = try? Data(contentsOf: committed) {
      XCTAssertEqual([UInt8](bytes), first.model, "Graphs/resnet18.graph is stale: run Tools/make-graphs.sh")
    }
  }

  // MARK: - SeededRandom

  func testSplitMix64KnownValues() {
    var r = SeededRandom(seed: 0)
    // Reference SplitMix64 (Vigna) outputs for seed 0.
    XCTAssertEqual(r.next(), 0xe220_a839_7b1d_cdaf)
    XCTAssertEqual(r.next(), 0x6e78_9e6a_a1b9_65f4)
    XCTAssertEqual(r.next(), 0x06c4_5d18_8009_454f)
    XCTAssertEqual(SeededRandom.hash(""), 0xcbf2_9ce4_8422_2325)
    XCTAssertEqual(SeededRandom.hash("a"), 0xaf63_dc4c_8601_ec8c)
  }

  func testPortableElementaryFunctions() {
    var worstLog = 0.0
    var worstTrig = 0.0
    var r = SeededRandom(seed: 42)
    for _ in 0..<20000 {
      let u = Double((r.next() >> 11) + 1) * 0x1p-53
      worstLog = max(worstLog, abs(SeededRandom.log(u) - Foundation.log(u)) / max(1, abs(Foundation.log(u))))
      let t = r.nextUnit()
      let (s, c) = SeededRandom.sinCosTurns(t)
      worstTrig = max(worstTrig, abs(s - sin(2 * Double.pi * t)), abs(c - cos(2 * Double.pi * t)))
    }
    XCTAssertLessThan(worstLog, 1e-14)
    XCTAssertLessThan(worstTrig, 1e-14)
    for t in [0.0, 0.125, 0.25, 0.5, 0.75, 0.999] {
      let (s, c) = SeededRandom.sinCosTurns(t)
      XCTAssertEqual(s, sin(2 * Double.pi * t), accuracy: 1e-15)
      XCTAssertEqual(c, cos(2 * Double.pi * t), accuracy: 1e-15)
    }
  }

  func testNormalDistribution() {
    var r = SeededRandom(name: "normal-test")
    let v = r.normalFloats(count: 100_001, mean: 3, std: 2)
    XCTAssertEqual(v.count, 100_001)
    let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
    let std = (v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)).squareRoot()
    XCTAssertEqual(mean, 3, accuracy: 0.03)
    XCTAssertEqual(std, 2, accuracy: 0.03)
    let u = r.uniformFloats(count: 10000, low: 0.5, high: 1.5)
    XCTAssertTrue(u.allSatisfy { $0 >= 0.5 && $0 <= 1.5 })
  }
}
