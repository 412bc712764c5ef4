import Foundation
import GraphIR

/// The seed networks: LeNet, AlexNet, VGG-11/13/16/19, GoogLeNet, ResNet-18/34/50, as ONNX-style
/// ``Model``s (opset 13, IR version 8) with input `input` [N, C, H, W] and output `logits`.
public enum Zoo {
  public static let names = [
    "lenet", "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "googlenet", "resnet18", "resnet34", "resnet50",
  ]

  /// The network `name` (one of ``names``). LeNet gets its trained weights from `lenetWeights`
  /// (default ``defaultLeNetWeightsPath``, looked up from the working directory, then from this package's
  /// root) unless `weights` is `.placeholder`; the others get seeded weights or placeholders.
  public static func model(named name: String, weights: ZooWeights = .seeded, lenetWeights: String? = nil) throws -> Model {
    switch name {
    case "lenet":
      if weights == .placeholder { return lenet(weights: .placeholder) }
      return try lenet(weightsFrom: lenetWeights ?? locateDefaultLeNetWeights())
    case "alexnet": return alexnet(weights: weights)
    case "vgg11": return vgg11(weights: weights)
    case "vgg13": return vgg13(weights: weights)
    case "vgg16": return vgg16(weights: weights)
    case "vgg19": return vgg19(weights: weights)
    case "googlenet": return googlenet(weights: weights)
    case "resnet18": return resnet18(weights: weights)
    case "resnet34": return resnet34(weights: weights)
    case "resnet50": return resnet50(weights: weights)
    default:
      throw GraphError("zoo", "no network named '\(name)' (known: \(names.joined(separator: ", ")))")
    }
  }

  /// ``defaultLeNetWeightsPath`` relative to the working directory when it exists there,
  /// else relative to the package root this source file belongs to.
  public static func locateDefaultLeNetWeights() -> String {
    let fm = FileManager.default
    if fm.fileExists(atPath: defaultLeNetWeightsPath) { return defaultLeNetWeightsPath }
    let root = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidate = root.appendingPathComponent(defaultLeNetWeightsPath).path
    return fm.fileExists(atPath: candidate) ? candidate : defaultLeNetWeightsPath
  }
}
