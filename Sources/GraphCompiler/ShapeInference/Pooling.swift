import GraphIR

/// MaxPool and AveragePool: `[N, C, d1..dk]` to `[N, C, o1..ok]` under the window attributes.
enum PoolRule: ShapeRule {
  static let opTypes = ["MaxPool", "AveragePool"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 3 else {
      throw n.error("input must have rank 3 or more (batch, channels, spatial), has shape \(x.shape)")
    }
    guard let kernel = try n.node.ints("kernel_shape") else { throw n.error("attribute kernel_shape is required") }
    guard kernel.count == x.shape.rank - 2 else {
      throw n.error("kernel_shape \(kernel) has \(kernel.count) values, input \(x.shape) has \(x.shape.rank - 2) spatial axes")
    }
    let ceil = try n.node.int("ceil_mode", default: 0)
    guard ceil == 0 || ceil == 1 else { throw n.error("ceil_mode must be 0 or 1, is \(ceil)") }
    if n.node.opType == "AveragePool" {
      let include = try n.node.int("count_include_pad", default: 0)
      guard include == 0 || include == 1 else { throw n.error("count_include_pad must be 0 or 1, is \(include)") }
    } else {
      let order = try n.node.int("storage_order", default: 0)
      guard order == 0 || order == 1 else { throw n.error("storage_order must be 0 or 1, is \(order)") }
    }
    let window = try SlidingWindow(n, kernel: kernel, ceilMode: ceil == 1)
    let out = try window.outputDims(Array(x.shape.dims[2...]), n, inputShape: x.shape)
    let y = ValueState(x.elementType, Shape(Array(x.shape.dims[0..<2]) + out))
    // MaxPool's optional second output holds int64 indices of the same shape.
    return n.node.opType == "MaxPool" ? [y, ValueState(.int64, y.shape)] : [y]
  }
}

/// GlobalAveragePool and GlobalMaxPool: `[N, C, d1..dk]` to `[N, C, 1..1]`.
enum GlobalPoolRule: ShapeRule {
  static let opTypes = ["GlobalAveragePool", "GlobalMaxPool"]

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank >= 3 else {
      throw n.error("input must have rank 3 or more (batch, channels, spatial), has shape \(x.shape)")
    }
    let ones = [Dim](repeating: .fixed(1), count: x.shape.rank - 2)
    return [ValueState(x.elementType, Shape(Array(x.shape.dims[0..<2]) + ones))]
  }
}
