import GraphIR
import GraphPlan

/// Ops whose output reads the input through one table of source positions per output axis
/// (-1: a fill value): Pad, Expand, Tile and nearest Resize. Each op only works out the tables
/// from the input's dims; evaluation and lowering (an index-copy step) are shared here.
enum IndexTables {
  /// `x` read through `tables` (an input of lower rank reads as having leading axes of size 1).
  static func select(_ x: Tensor, _ tables: [[Int]], fill: Float = 0) -> Tensor {
    let padded = Array(repeating: 1, count: tables.count - x.dims.count) + x.dims
    let strides = Evaluate.strides(padded)
    var flat: [Int] = [0]
    for (d, table) in tables.enumerated() {
      flat = flat.flatMap { base in table.map { base < 0 || $0 < 0 ? -1 : base + $0 * strides[d] } }
    }
    let dims = tables.map(\.count)
    guard flat.contains(-1) else { return Evaluate.select(x, dims: dims, flat) }
    switch x.storage {
    case .floats(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .floats(flat.map { $0 < 0 ? fill : v[$0] }))
    case .doubles(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .doubles(flat.map { $0 < 0 ? Double(fill) : v[$0] }))
    case .integers(let v): return Tensor(dataType: x.dataType, dims: dims, storage: .integers(flat.map { $0 < 0 ? Int64(fill) : v[$0] }))
    case .unloaded: return Tensor(dataType: x.dataType, dims: dims, storage: .unloaded)
    }
  }

  /// An index-copy step of input 0, its tables from `tables(full dims)`. Per batch item the batch
  /// axis must be left alone (its table `[0]` for a batch of one); in whole mode the tables cover
  /// the value's whole shape.
  static func lower(_ n: LoweringContext, fill: Float = 0, _ tables: ([Int]) throws -> [[Int]]) throws {
    let item = n.dims(n.x)
    var all = try tables(n.whole ? item : [1] + item)
    if !n.whole {
      guard all.count == item.count + 1, all[0] == [0] else { throw LoweringContext.Unsupported(reason: "changing the batch axis") }
      all.removeFirst()
    }
    if all == item.map({ Array(0..<$0) }) { return n.alias(n.output, .view(of: n.x)) }
    n.emit(.indexCopy(sources: all, fill: fill), inputs: [n.x])
  }
}
