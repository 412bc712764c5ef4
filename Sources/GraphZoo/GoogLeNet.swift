import GraphIR

extension Zoo {
  /// Channel counts of one Inception module: 1x1; 3x3 reduce, 3x3; 5x5 reduce, 5x5; pool projection.
  public struct InceptionConfig: Sendable {
    public var ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj: Int
    public var outChannels: Int { ch1x1 + ch3x3 + ch5x5 + poolProj }
  }

  static let inceptionConfigs: [(String, InceptionConfig)] = [
    ("inception3a", InceptionConfig(ch1x1: 64, ch3x3red: 96, ch3x3: 128, ch5x5red: 16, ch5x5: 32, poolProj: 32)),
    ("inception3b", InceptionConfig(ch1x1: 128, ch3x3red: 128, ch3x3: 192, ch5x5red: 32, ch5x5: 96, poolProj: 64)),
    ("inception4a", InceptionConfig(ch1x1: 192, ch3x3red: 96, ch3x3: 208, ch5x5red: 16, ch5x5: 48, poolProj: 64)),
    ("inception4b", InceptionConfig(ch1x1: 160, ch3x3red: 112, ch3x3: 224, ch5x5red: 24, ch5x5: 64, poolProj: 64)),
    ("inception4c", InceptionConfig(ch1x1: 128, ch3x3red: 128, ch3x3: 256, ch5x5red: 24, ch5x5: 64, poolProj: 64)),
    ("inception4d", InceptionConfig(ch1x1: 112, ch3x3red: 144, ch3x3: 288, ch5x5red: 32, ch5x5: 64, poolProj: 64)),
    ("inception4e", InceptionConfig(ch1x1: 256, ch3x3red: 160, ch3x3: 320, ch5x5red: 32, ch5x5: 128, poolProj: 128)),
    ("inception5a", InceptionConfig(ch1x1: 256, ch3x3red: 160, ch3x3: 320, ch5x5red: 32, ch5x5: 128, poolProj: 128)),
    ("inception5b", InceptionConfig(ch1x1: 384, ch3x3red: 192, ch3x3: 384, ch5x5red: 48, ch5x5: 128, poolProj: 128)),
  ]

  /// GoogLeNet (Inception v1) exactly as the reference design's code: BasicConv2d = conv (with bias) + ReLU,
  /// true 5x5 convs in branch 3, every stage max pool 3/2 ceil_mode (so 832x7x7 before inception5a).
  /// With `auxHeads`, the two auxiliary classifiers (off inception4a and inception4d) are extra outputs `aux1`, `aux2`.
  public static func googlenet(auxHeads: Bool = true, weights: ZooWeights = .seeded) -> Model {
    let net = NetBuilder(name: "googlenet", weights: weights)

    /// BasicConv2d: the conv is the node `name`, its ReLU `name/relu`.
    func basicConv(_ name: String, _ x: String, out: Int, kernel: Int, stride: Int = 1, pad: Int = 0) -> String {
      net.relu(name + "/relu", net.conv(name, x, out: out, kernel: kernel, stride: stride, pad: pad))
    }

    func inception(_ name: String, _ x: String, _ c: InceptionConfig) -> String {
      let b1 = basicConv("\(name)/branch1/conv1x1", x, out: c.ch1x1, kernel: 1)
      var b2 = basicConv("\(name)/branch2/reduce", x, out: c.ch3x3red, kernel: 1)
      b2 = basicConv("\(name)/branch2/conv3x3", b2, out: c.ch3x3, kernel: 3, pad: 1)
      var b3 = basicConv("\(name)/branch3/reduce", x, out: c.ch5x5red, kernel: 1)
      b3 = basicConv("\(name)/branch3/conv5x5", b3, out: c.ch5x5, kernel: 5, pad: 2)
      var b4 = net.maxPool("\(name)/branch4/pool", x, kernel: 3, stride: 1, pad: 1)
      b4 = basicConv("\(name)/branch4/conv1x1", b4, out: c.poolProj, kernel: 1)
      return net.concat("\(name)/concat", [b1, b2, b3, b4])
    }

    /// InceptionAux as in the design's code: AvgPool 5/3, BasicConv 128 1x1, flatten, dropout 0.5,
    /// fc 2048-1024 + ReLU, dropout 0.5, fc 1024-1000; the last fc's output is the value `name`.
    func auxHead(_ name: String, _ x: String) {
      var y = net.avgPool("\(name)/pool", x, kernel: 5, stride: 3)
      y = basicConv("\(name)/conv", y, out: 128, kernel: 1)
      y = net.flatten("\(name)/flatten", y)
      y = net.dropout("\(name)/dropout1", y, ratio: 0.5)
      y = net.relu("\(name)/fc1/relu", net.linear("\(name)/fc1", y, out: 1024))
      y = net.dropout("\(name)/dropout2", y, ratio: 0.5)
      net.linear("\(name)/fc2", y, out: 1000, output: name)
    }

    var x = net.input([3, 224, 224])
    x = basicConv("conv1", x, out: 64, kernel: 7, stride: 2, pad: 3)
    x = net.maxPool("maxpool1", x, kernel: 3, stride: 2, ceil: true)
    x = basicConv("conv2", x, out: 64, kernel: 1)
    x = basicConv("conv3", x, out: 192, kernel: 3, pad: 1)
    x = net.maxPool("maxpool2", x, kernel: 3, stride: 2, ceil: true)
    let configs = Dictionary(uniqueKeysWithValues: inceptionConfigs)
    x = inception("inception3a", x, configs["inception3a"]!)
    x = inception("inception3b", x, configs["inception3b"]!)
    x = net.maxPool("maxpool3", x, kernel: 3, stride: 2, ceil: true)
    x = inception("inception4a", x, configs["inception4a"]!)
    if auxHeads { auxHead("aux1", x) }
    x = inception("inception4b", x, configs["inception4b"]!)
    x = inception("inception4c", x, configs["inception4c"]!)
    x = inception("inception4d", x, configs["inception4d"]!)
    if auxHeads { auxHead("aux2", x) }
    x = inception("inception4e", x, configs["inception4e"]!)
    x = net.maxPool("maxpool4", x, kernel: 3, stride: 2, ceil: true)
    x = inception("inception5a", x, configs["inception5a"]!)
    x = inception("inception5b", x, configs["inception5b"]!)
    x = net.globalAvgPool("avgpool", x)
    x = net.flatten("flatten", x)
    x = net.dropout("dropout", x, ratio: 0.4)
    x = net.linear("fc", x, out: 1000, output: "logits")
    net.output(x)
    if auxHeads {
      net.output("aux1")
      net.output("aux2")
    }
    return net.model()
  }
}
