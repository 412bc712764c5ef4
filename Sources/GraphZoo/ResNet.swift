import GraphIR

extension Zoo {
  public enum ResNetBlock: Sendable {
    /// Two 3x3 convs (ResNet-18/34), expansion 1.
    case basic
    /// 1x1, 3x3 (with the stride, torchvision v1.5), 1x1 ×4 (ResNet-50 and deeper), expansion 4.
    case bottleneck

    var expansion: Int { self == .basic ? 1 : 4 }
  }

  /// ResNet with torchvision's module names: conv1, bn1, relu, maxpool, layer<s>.<b>.{conv1,bn1,relu1,…,
  /// downsample.0, downsample.1, add, relu2|relu3}, avgpool, flatten, fc. Convs have no bias and are
  /// followed by BatchNormalization (epsilon 1e-5).
  public static func resnet(
    name: String, block: ResNetBlock, layers: [Int], weights: ZooWeights = .seeded
  ) -> Model {
    let net = NetBuilder(name: name, weights: weights)
    var x = net.input([3, 224, 224])
    x = net.conv("conv1", x, out: 64, kernel: 7, stride: 2, pad: 3, bias: false)
    x = net.batchNorm("bn1", x)
    x = net.relu("relu", x)
    x = net.maxPool("maxpool", x, kernel: 3, stride: 2, pad: 1)

    for (stage, count) in layers.enumerated() {
      let width = 64 << stage
      for b in 0..<count {
        let p = "layer\(stage + 1).\(b)"
        let stride = (stage > 0 && b == 0) ? 2 : 1
        let outChannels = width * block.expansion
        var y: String
        let last: Int
        switch block {
        case .basic:
          y = net.conv("\(p).conv1", x, out: width, kernel: 3, stride: stride, pad: 1, bias: false)
          y = net.relu("\(p).relu1", net.batchNorm("\(p).bn1", y))
          y = net.conv("\(p).conv2", y, out: width, kernel: 3, pad: 1, bias: false)
          y = net.batchNorm("\(p).bn2", y)
          last = 2
        case .bottleneck:
          y = net.conv("\(p).conv1", x, out: width, kernel: 1, bias: false)
          y = net.relu("\(p).relu1", net.batchNorm("\(p).bn1", y))
          y = net.conv("\(p).conv2", y, out: width, kernel: 3, stride: stride, pad: 1, bias: false)
          y = net.relu("\(p).relu2", net.batchNorm("\(p).bn2", y))
          y = net.conv("\(p).conv3", y, out: outChannels, kernel: 1, bias: false)
          y = net.batchNorm("\(p).bn3", y)
          last = 3
        }
        var identity = x
        if stride != 1 || net.channels(x) != outChannels {
          identity = net.conv("\(p).downsample.0", x, out: outChannels, kernel: 1, stride: stride, bias: false)
          identity = net.batchNorm("\(p).downsample.1", identity)
        }
        y = net.add("\(p).add", y, identity)
        x = net.relu("\(p).relu\(last)", y)
      }
    }
    x = net.globalAvgPool("avgpool", x)
    x = net.flatten("flatten", x)
    x = net.linear("fc", x, out: 1000, output: "logits")
    net.output(x)
    return net.model()
  }

  public static func resnet18(weights: ZooWeights = .seeded) -> Model {
    resnet(name: "resnet18", block: .basic, layers: [2, 2, 2, 2], weights: weights)
  }

  public static func resnet34(weights: ZooWeights = .seeded) -> Model {
    resnet(name: "resnet34", block: .basic, layers: [3, 4, 6, 3], weights: weights)
  }

  public static func resnet50(weights: ZooWeights = .seeded) -> Model {
    resnet(name: "resnet50", block: .bottleneck, layers: [3, 4, 6, 3], weights: weights)
  }
}
