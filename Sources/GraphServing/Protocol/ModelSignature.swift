import GraphRuntime

/// What a request is checked against: a model's inputs and outputs, per batch item.
public struct ModelSignature: Sendable {
  public struct Tensor: Sendable, Equatable {
    public var name: String
    /// Dimensions after the batch dimension.
    public var itemShape: [Int]
    /// The element type (inputs are always taken as FP32 after conversion).
    public var datatype: TensorDatatype
    public var itemCount: Int { itemShape.reduce(1, *) }

    public init(name: String, itemShape: [Int], datatype: TensorDatatype = .fp32) {
      self.name = name
      self.itemShape = itemShape
      self.datatype = datatype
    }
  }

  public var inputs: [Tensor]
  public var outputs: [Tensor]
  /// The one batch size the plan runs, or nil when it was compiled with a symbolic batch.
  public var fixedBatch: Int?

  public init(inputs: [Tensor], outputs: [Tensor], fixedBatch: Int?) {
    self.inputs = inputs
    self.outputs = outputs
    self.fixedBatch = fixedBatch
  }

  /// The signature of a compiled plan.
  public init(_ model: CompiledModel) {
    inputs = model.inputs.map { Tensor(name: $0.name, itemShape: $0.itemShape) }
    outputs = model.outputs.map {
      Tensor(name: $0.name, itemShape: $0.itemShape, datatype: OutputValues.datatype(of: model.elementType(of: $0.name) ?? .float32))
    }
    fixedBatch = model.inputs.first?.batch
  }

  /// `[N, d1, d2, …]` as the protocol's metadata writes it: -1 for a batch of any size.
  public func protocolShape(_ tensor: Tensor) -> [Int] { [fixedBatch ?? -1] + tensor.itemShape }
}
