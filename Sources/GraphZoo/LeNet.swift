import GraphIR

extension Zoo {
  /// The fixture holding LeNet's trained weights, relative to the package root.
  public static let defaultLeNetWeightsPath = "Tests/Fixtures/digits/lenet-digits.onnx"

  /// LeNet-5 as in the reference design: conv 6@5x5 pad 2 + ReLU, maxpool 2/2, conv 16@5x5 + ReLU,
  /// maxpool 2/2, flatten, fc 400-120 ReLU, 120-84 ReLU, 84-10. Input `input` [N, 1, 28, 28], output `logits` [N, 10].
  public static func lenet(weights: ZooWeights) -> Model {
    let net = NetBuilder(name: "lenet", weights: weights)
    var x = net.input([1, 28, 28])
    x = net.conv("conv1", x, out: 6, kernel: 5, pad: 2)
    x = net.relu("relu1", x)
    x = net.maxPool("pool1", x, kernel: 2, stride: 2)
    x = net.conv("conv2", x, out: 16, kernel: 5)
    x = net.relu("relu2", x)
    x = net.maxPool("pool2", x, kernel: 2, stride: 2)
    x = net.flatten("flatten", x)
    x = net.linear("fc1", x, out: 120)
    x = net.relu("relu3", x)
    x = net.linear("fc2", x, out: 84)
    x = net.relu("relu4", x)
    x = net.linear("fc3", x, out: 10, output: "logits")
    net.output(x)
    return net.model()
  }

  /// LeNet with the real trained weights read from `path` (an ONNX file whose initializers are
  /// named conv1.weight, conv1.bias, conv2.*, fc1.*, fc2.*, fc3.*).
  public static func lenet(weightsFrom path: String) throws -> Model {
    let trained = try ONNXReader.read(contentsOf: path).graph.initializers
    var model = lenet(weights: .placeholder)
    for (name, placeholder) in model.graph.initializers {
      guard let tensor = trained[name] else {
        throw GraphError(path, "LeNet weights: no initializer '\(name)'")
      }
      guard tensor.dims == placeholder.dims, tensor.dataType == .float else {
        throw GraphError(path, "LeNet weights: '\(name)' is \(tensor.dataType) \(tensor.dims), expected float \(placeholder.dims)")
      }
      model.graph.initializers[name] = tensor
    }
    return model
  }
}
