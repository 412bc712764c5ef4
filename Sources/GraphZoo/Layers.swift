import GraphIR
import GraphPlan

/// How a zoo network gets its constant tensors.
public enum ZooWeights: Sendable, Equatable {
  /// Deterministic seeded initialization (Kaiming-normal convs, N(0, 0.01) linears, non-identity BatchNorm).
  case seeded
  /// Dims only (`Tensor.Storage.unloaded`): for structure and shape work, costs nothing.
  case placeholder
}

/// PyTorch-like layers on top of ``GraphBuilder``: each call adds one node, creates its
/// parameters (`<node>.weight`, `<node>.bias`; BatchNorm `.scale .bias .mean .var`)
/// and tracks the per-sample shape of every value (batch excluded), so a wrong
/// channel count fails while building rather than in a later tool.
public final class NetBuilder {
  public let builder: GraphBuilder
  public let weights: ZooWeights
  /// Seeds are derived from this and each tensor's name, so tensors do not depend on build order.
  public let seedName: String
  /// Per-sample shape (without the batch dim) of every value built so far.
  public private(set) var shapes: [String: [Int]] = [:]

  public init(name: String, weights: ZooWeights, seedName: String? = nil) {
    builder = GraphBuilder(name: name)
    self.weights = weights
    self.seedName = seedName ?? name
  }

  /// The shape of `value` without its batch dim.
  public func shape(_ value: String) -> [Int] {
    guard let s = shapes[value] else { preconditionFailure("value '\(value)' has no known shape") }
    return s
  }

  public func channels(_ value: String) -> Int { shape(value)[0] }

  // MARK: - Graph ends

  /// The `input` value, shape [N, dims...].
  public func input(_ dims: [Int], name: String = "input") -> String {
    builder.input(name, Shape([.symbol("N")] + dims.map(Dim.fixed)))
    shapes[name] = dims
    return name
  }

  /// Marks `value` as a graph output with shape [N, dims...].
  public func output(_ value: String) {
    builder.output(value, shape: Shape([.symbol("N")] + shape(value).map(Dim.fixed)))
  }

  public func model() -> Model {
    Model(graph: builder.build(), irVersion: 8, opsetImports: ["": 13])
  }

  // MARK: - Parameters

  enum Init {
    case normal(std: Double, mean: Double = 0)
    case uniform(Double, Double)
  }

  func parameter(_ name: String, _ dims: [Int], _ initializer: Init) -> String {
    let count = dims.reduce(1, *)
    let tensor: Tensor
    switch weights {
    case .placeholder:
      tensor = Tensor(dataType: .float, dims: dims, storage: .unloaded)
    case .seeded:
      var rng = SeededRandom(name: seedName + ":" + name)
      switch initializer {
      case .normal(let std, let mean):
        tensor = Tensor(floats: rng.normalFloats(count: count, mean: mean, std: std), dims: dims)
      case .uniform(let low, let high):
        tensor = Tensor(floats: rng.uniformFloats(count: count, low: low, high: high), dims: dims)
      }
    }
    return builder.constant(name, tensor)
  }

  /// Adds a node with one output named `output` (default: the node's name) and records its shape.
  @discardableResult
  func add(
    _ op: String, _ name: String, _ inputs: [String], _ attributes: [String: Attribute] = [:],
    shape: [Int], output: String? = nil
  ) -> String {
    let out = builder.node(op, name: name, inputs: inputs, outputs: [output ?? name], attributes: attributes)[0]
    shapes[out] = shape
    return out
  }

  // MARK: - Layers

  static func outSize(_ size: Int, kernel: Int, stride: Int, pad: Int, ceil: Bool = false) -> Int {
    precondition(size + 2 * pad >= kernel, "window \(kernel) larger than padded input \(size + 2 * pad)")
    return Window2D.outputExtent(input: size, kernel: kernel, stride: stride, padBegin: pad, padEnd: pad, ceilMode: ceil)
  }

  /// Conv2d, weight [out, in, k, k] Kaiming-normal (fan_out, ReLU gain); bias N(0, 0.01) when `bias`.
  @discardableResult
  public func conv(
    _ name: String, _ x: String, out: Int, kernel: Int, stride: Int = 1, pad: Int = 0, bias: Bool = true,
    output: String? = nil
  ) -> String {
    let s = shape(x)
    precondition(s.count == 3, "conv '\(name)' needs a CxHxW input, got \(s)")
    let fanOut = Double(out * kernel * kernel)
    var inputs = [x, parameter(name + ".weight", [out, s[0], kernel, kernel], .normal(std: (2 / fanOut).squareRoot()))]
    if bias { inputs.append(parameter(name + ".bias", [out], .normal(std: 0.01))) }
    let h = Self.outSize(s[1], kernel: kernel, stride: stride, pad: pad)
    let w = Self.outSize(s[2], kernel: kernel, stride: stride, pad: pad)
    return add(
      "Conv", name, inputs,
      [
        "kernel_shape": .ints([kernel, kernel]), "strides": .ints([stride, stride]),
        "pads": .ints([pad, pad, pad, pad]), "dilations": .ints([1, 1]), "group": .int(1),
      ],
      shape: [out, h, w], output: output)
  }

  /// BatchNormalization (inference form), epsilon 1e-5; scale U(0.5,1.5), bias N(0,0.1), mean N(0,0.1), var U(0.5,1.5).
  @discardableResult
  public func batchNorm(_ name: String, _ x: String, epsilon: Float = 1e-5) -> String {
    let c = channels(x)
    let inputs = [
      x,
      parameter(name + ".scale", [c], .uniform(0.5, 1.5)),
      parameter(name + ".bias", [c], .normal(std: 0.1)),
      parameter(name + ".mean", [c], .normal(std: 0.1)),
      parameter(name + ".var", [c], .uniform(0.5, 1.5)),
    ]
    return add(
      "BatchNormalization", name, inputs, ["epsilon": .float(epsilon), "momentum": .float(0.9)], shape: shape(x))
  }

  @discardableResult
  public func relu(_ name: String, _ x: String) -> String {
    add("Relu", name, [x], shape: shape(x))
  }

  @discardableResult
  public func maxPool(_ name: String, _ x: String, kernel: Int, stride: Int, pad: Int = 0, ceil: Bool = false) -> String {
    pool("MaxPool", name, x, kernel: kernel, stride: stride, pad: pad, ceil: ceil, extra: [:])
  }

  /// AveragePool. `countIncludePad` only matters with padding (PyTorch's AvgPool2d default is true).
  @discardableResult
  public func avgPool(
    _ name: String, _ x: String, kernel: Int, stride: Int, pad: Int = 0, ceil: Bool = false, countIncludePad: Bool = false
  ) -> String {
    pool("AveragePool", name, x, kernel: kernel, stride: stride, pad: pad, ceil: ceil,
         extra: ["count_include_pad": .int(countIncludePad ? 1 : 0)])
  }

  private func pool(
    _ op: String, _ name: String, _ x: String, kernel: Int, stride: Int, pad: Int, ceil: Bool,
    extra: [String: Attribute]
  ) -> String {
    let s = shape(x)
    precondition(s.count == 3, "\(op) '\(name)' needs a CxHxW input, got \(s)")
    var attributes: [String: Attribute] = [
      "kernel_shape": .ints([kernel, kernel]), "strides": .ints([stride, stride]),
      "pads": .ints([pad, pad, pad, pad]), "ceil_mode": .int(ceil ? 1 : 0),
    ]
    attributes.merge(extra) { a, _ in a }
    let h = Self.outSize(s[1], kernel: kernel, stride: stride, pad: pad, ceil: ceil)
    let w = Self.outSize(s[2], kernel: kernel, stride: stride, pad: pad, ceil: ceil)
    return add(op, name, [x], attributes, shape: [s[0], h, w])
  }

  @discardableResult
  public func globalAvgPool(_ name: String, _ x: String) -> String {
    add("GlobalAveragePool", name, [x], shape: [channels(x), 1, 1])
  }

  /// Flatten with axis 1: [N, C, H, W] → [N, C·H·W].
  @discardableResult
  public func flatten(_ name: String, _ x: String) -> String {
    add("Flatten", name, [x], ["axis": .int(1)], shape: [shape(x).reduce(1, *)])
  }

  /// nn.Linear as Gemm(transB=1): weight [out, in] and bias [out], both N(0, 0.01).
  @discardableResult
  public func linear(_ name: String, _ x: String, out: Int, output: String? = nil) -> String {
    let s = shape(x)
    precondition(s.count == 1, "linear '\(name)' needs a flat input, got \(s)")
    let inputs = [
      x,
      parameter(name + ".weight", [out, s[0]], .normal(std: 0.01)),
      parameter(name + ".bias", [out], .normal(std: 0.01)),
    ]
    return add(
      "Gemm", name, inputs, ["alpha": .float(1), "beta": .float(1), "transB": .int(1)], shape: [out], output: output)
  }

  /// Concat along channels (axis 1).
  @discardableResult
  public func concat(_ name: String, _ xs: [String]) -> String {
    let shapes = xs.map(shape)
    precondition(shapes.allSatisfy { $0.dropFirst() == shapes[0].dropFirst() }, "concat '\(name)' of \(shapes)")
    let c = shapes.reduce(0) { $0 + $1[0] }
    return add("Concat", name, xs, ["axis": .int(1)], shape: [c] + shapes[0].dropFirst())
  }

  @discardableResult
  public func add(_ name: String, _ a: String, _ b: String) -> String {
    precondition(shape(a) == shape(b), "add '\(name)' of \(shape(a)) and \(shape(b))")
    return add("Add", name, [a, b], shape: shape(a))
  }

  /// Dropout (opset 13: the ratio is a scalar input `<node>.ratio`); the identity at inference.
  @discardableResult
  public func dropout(_ name: String, _ x: String, ratio: Float = 0.5) -> String {
    let r = builder.constant(name + ".ratio", Tensor(scalar: ratio))
    return add("Dropout", name, [x, r], shape: shape(x))
  }
}
