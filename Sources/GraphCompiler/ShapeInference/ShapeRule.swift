import GraphIR

/// Shape inference for one family of ops: given what is known about a node's
/// inputs, the states of its outputs in order (a rule may return more outputs
/// than the node uses, e.g. Dropout's optional mask).
protocol ShapeRule: Sendable {
  static var opTypes: [String] { get }
  static func infer(_ node: NodeContext) throws -> [ValueState]
}

/// Every rule, by op type. A test checks this covers ``SupportedOps/all``.
enum ShapeRules {
  static let all: [any ShapeRule.Type] = [
    ConvRule.self, PoolRule.self, GlobalPoolRule.self,
    GemmRule.self, MatMulRule.self,
    BroadcastRule.self, SumRule.self, SameShapeRule.self, SoftmaxRule.self, DropoutRule.self,
    BatchNormalizationRule.self, LRNRule.self,
    ConcatRule.self, FlattenRule.self, ReshapeRule.self, TransposeRule.self,
    UnsqueezeRule.self, SqueezeRule.self, GatherRule.self, ReduceMeanRule.self,
    ConstantRule.self, ConstantOfShapeRule.self, ShapeOpRule.self, CastRule.self,
  ]

  static let byOp: [String: any ShapeRule.Type] = {
    var map: [String: any ShapeRule.Type] = [:]
    for rule in all {
      for op in rule.opTypes {
        precondition(map[op] == nil, "two shape rules for \(op)")
        map[op] = rule
      }
    }
    return map
  }()
}
