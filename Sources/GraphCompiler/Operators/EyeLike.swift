import GraphIR
import GraphPlan

/// EyeLike: ones on diagonal `k` of a 2-D tensor of the input's shape, zeros elsewhere, of element
/// type `dtype` (the input's by default). Only the input's shape matters, so it folds to a constant
/// whenever that shape is fixed; a shape holding the batch is refused.
enum EyeLikeOp: OperatorDefinition {
  static let opTypes = ["EyeLike"]
  static let attributes: Set<String> = ["dtype", "k"]
  static let folds = true
  static let foldsFromShapes = true
  static let notes: String? = "folds to a constant: the input's 2-D shape must be fixed (no batch)."

  static func type(_ n: some NodeOperands, input: DataType) throws -> DataType {
    n.node.attributes["dtype"] == nil ? input : try CastOp.target(n, "dtype")
  }

  static func infer(_ n: NodeContext) throws -> [ValueState] {
    let x = try n.input(0, "input")
    guard x.shape.rank == 2, x.shape.fixedDims != nil else { throw n.error("input must have a fixed 2-D shape, has \(x.shape)") }
    return [ValueState(try type(n, input: x.elementType), x.shape)]
  }

  static func evaluate(_ n: EvaluationContext) throws -> [Tensor] {
    guard let x = n.knownValue(0), x.dims.count == 2 else { throw n.error("input must be 2-D") }
    let k = try n.node.int("k", default: 0), (rows, columns) = (x.dims[0], x.dims[1])
    let ones = (0..<(rows * columns)).map { $0 % columns - $0 / columns == k ? 1 : 0 }
    let type = try type(n, input: x.dataType)
    let storage: Tensor.Storage = type.isInteger ? .integers(ones.map(Int64.init)) : .floats(ones.map(Float.init))
    return [Tensor(dataType: type, dims: x.dims, storage: storage).converted(to: type)]
  }

  /// Unreached: a fixed shape folds.
  static func lower(_ n: LoweringContext) throws {
    throw LoweringContext.Unsupported(reason: "EyeLike folds to a constant from a fixed shape")
  }
}
