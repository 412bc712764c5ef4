import GraphIR

extension Zoo {
  /// AlexNet as in the reference design (96 first-layer filters), with ReLU after each conv.
  /// Shapes: 96x55x55, 96x27x27, 256x27x27, 256x13x13, 384x13x13, 384x13x13, 256x13x13, 256x6x6, 9216, 4096, 4096, 1000.
  /// Node names follow `nn.Sequential` indices: `features.0` … `features.12`, then `classifier.*`.
  public static func alexnet(weights: ZooWeights = .seeded) -> Model {
    let net = NetBuilder(name: "alexnet", weights: weights)
    var x = net.input([3, 224, 224])
    var i = 0
    func next() -> String {
      defer { i += 1 }
      return "features.\(i)"
    }
    x = net.conv(next(), x, out: 96, kernel: 11, stride: 4, pad: 2)
    x = net.relu(next(), x)
    x = net.maxPool(next(), x, kernel: 3, stride: 2)
    x = net.conv(next(), x, out: 256, kernel: 5, pad: 2)
    x = net.relu(next(), x)
    x = net.maxPool(next(), x, kernel: 3, stride: 2)
    for channels in [384, 384, 256] {
      x = net.conv(next(), x, out: channels, kernel: 3, pad: 1)
      x = net.relu(next(), x)
    }
    x = net.maxPool(next(), x, kernel: 3, stride: 2)
    x = net.flatten("flatten", x)
    x = net.dropout("classifier.dropout1", x, ratio: 0.5)
    x = net.linear("classifier.fc1", x, out: 4096)
    x = net.relu("classifier.relu1", x)
    x = net.dropout("classifier.dropout2", x, ratio: 0.5)
    x = net.linear("classifier.fc2", x, out: 4096)
    x = net.relu("classifier.relu2", x)
    x = net.linear("classifier.fc3", x, out: 1000, output: "logits")
    net.output(x)
    return net.model()
  }
}
