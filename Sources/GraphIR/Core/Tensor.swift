/// A constant tensor: initializers, Constant nodes and tensor attributes.
///
/// Values are kept in one of three stores, whatever their ONNX element type:
/// floats, doubles, or integers (every integer type and bool widen to Int64).
public struct Tensor: Equatable, Sendable {
  public enum Storage: Equatable, Sendable {
    case floats([Float])
    case doubles([Double])
    case integers([Int64])
    /// External data that was deliberately not read (`ONNXReader.Options.loadExternalData`):
    /// the dims are known, the values are not.
    case unloaded
  }

  public var dataType: DataType
  public var dims: [Int]
  public var storage: Storage

  public init(dataType: DataType, dims: [Int], storage: Storage) {
    self.dataType = dataType
    self.dims = dims
    self.storage = storage
  }

  public init(floats: [Float], dims: [Int]) {
    self.init(dataType: .float, dims: dims, storage: .floats(floats))
  }

  public init(int64s: [Int64], dims: [Int]) {
    self.init(dataType: .int64, dims: dims, storage: .integers(int64s))
  }

  /// A rank-0 float tensor.
  public init(scalar: Float) { self.init(floats: [scalar], dims: []) }

  public var elementCount: Int { dims.reduce(1, *) }

  /// False for external data the reader was told to skip.
  public var isLoaded: Bool { storage != .unloaded }
  public var shape: Shape { Shape(fixed: dims) }

  /// Values as Float, converting if stored otherwise.
  public var floats: [Float] {
    switch storage {
    case .floats(let v): return v
    case .doubles(let v): return v.map { Float($0) }
    case .integers(let v): return v.map { Float($0) }
    case .unloaded: return []
    }
  }

  /// Values as Int64, truncating floating values toward zero (beyond Int64's range, its
  /// nearest end: a crafted file's 1e30 must not trap).
  public var int64s: [Int64] {
    func truncated<F: BinaryFloatingPoint>(_ x: F) -> Int64 {
      guard x.isFinite else { return 0 }
      return Int64(exactly: x.rounded(.towardZero)) ?? (x > 0 ? .max : .min)
    }
    switch storage {
    case .integers(let v): return v
    case .floats(let v): return v.map(truncated)
    case .doubles(let v): return v.map(truncated)
    case .unloaded: return []
    }
  }

  public var count: Int {
    switch storage {
    case .floats(let v): return v.count
    case .doubles(let v): return v.count
    case .integers(let v): return v.count
    case .unloaded: return 0
    }
  }

  /// The same values held in the store `type` uses.
  public func converted(to type: DataType) -> Tensor {
    if !isLoaded { return Tensor(dataType: type, dims: dims, storage: .unloaded) }
    switch type {
    case .float: return Tensor(dataType: type, dims: dims, storage: .floats(floats))
    case .double:
      let d: [Double]
      switch storage {
      case .doubles(let v): d = v
      case .floats(let v): d = v.map(Double.init)
      case .integers(let v): d = v.map(Double.init)
      case .unloaded: d = []
      }
      return Tensor(dataType: type, dims: dims, storage: .doubles(d))
    case .bool:
      let values: [Int64]
      switch storage {
      case .integers(let v): values = v.map { $0 != 0 ? 1 : 0 }
      case .floats(let v): values = v.map { $0 != 0 ? 1 : 0 }
      case .doubles(let v): values = v.map { $0 != 0 ? 1 : 0 }
      case .unloaded: values = []
      }
      return Tensor(dataType: type, dims: dims, storage: .integers(values))
    default: return Tensor(dataType: type, dims: dims, storage: .integers(int64s))
    }
  }
}
