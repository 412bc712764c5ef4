import GraphIR

extension Zoo {
  /// One VGG feature-config entry: a 3x3 conv with that many channels, or a 2x2 max pool.
  public enum VGGLayer: Equatable, Sendable {
    case conv(Int)
    case pool
  }

  /// The standard (torchvision) VGG configurations A, B, D, E.
  public static func vggConfig(depth: Int) -> [VGGLayer]? {
    let M = -1
    let raw: [Int]
    switch depth {
    case 11: raw = [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M]
    case 13: raw = [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M]
    case 16: raw = [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M]
    case 19: raw = [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M]
    default: return nil
    }
    return raw.map { $0 == M ? .pool : .conv($0) }
  }

  /// VGG-11/13/16/19: conv3x3 pad 1 + ReLU, maxpool 2/2, flatten, fc 25088-4096 ReLU Dropout,
  /// 4096-4096 ReLU Dropout, 4096-1000. Node names `features.<i>` as torchvision indexes them.
  public static func vgg(depth: Int, weights: ZooWeights = .seeded) throws -> Model {
    guard let config = vggConfig(depth: depth) else {
      throw GraphError("vgg", "no VGG configuration of depth \(depth) (11, 13, 16 or 19)")
    }
    let net = NetBuilder(name: "vgg\(depth)", weights: weights)
    var x = net.input([3, 224, 224])
    var i = 0
    for layer in config {
      switch layer {
      case .pool:
        x = net.maxPool("features.\(i)", x, kernel: 2, stride: 2)
        i += 1
      case .conv(let channels):
        x = net.conv("features.\(i)", x, out: channels, kernel: 3, pad: 1)
        x = net.relu("features.\(i + 1)", x)
        i += 2
      }
    }
    x = net.flatten("flatten", x)
    x = net.linear("classifier.fc1", x, out: 4096)
    x = net.relu("classifier.relu1", x)
    x = net.dropout("classifier.dropout1", x, ratio: 0.5)
    x = net.linear("classifier.fc2", x, out: 4096)
    x = net.relu("classifier.relu2", x)
    x = net.dropout("classifier.dropout2", x, ratio: 0.5)
    x = net.linear("classifier.fc3", x, out: 1000, output: "logits")
    net.output(x)
    return net.model()
  }

  public static func vgg11(weights: ZooWeights = .seeded) -> Model { try! vgg(depth: 11, weights: weights) }
  public static func vgg13(weights: ZooWeights = .seeded) -> Model { try! vgg(depth: 13, weights: weights) }
  public static func vgg16(weights: ZooWeights = .seeded) -> Model { try! vgg(depth: 16, weights: weights) }
  public static func vgg19(weights: ZooWeights = .seeded) -> Model { try! vgg(depth: 19, weights: weights) }
}
