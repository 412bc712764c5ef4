/// The operators and opset versions the compiler handles, checked up front so a
/// model with several unknown ops is reported in one error rather than one at a time.
public enum SupportedOps {
  /// Default-domain opset versions whose semantics the shape rules follow.
  public static let opsetVersions = 7...22

  /// Every supported default-domain operator.
  public static let all: Set<String> = [
    "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "Gemm", "MatMul", "Concat", "Add", "Sub", "Mul", "Div", "Sum",
    "Relu", "Clip", "BatchNormalization", "Flatten", "Reshape", "Dropout", "LRN", "Softmax",
    "Identity", "Constant", "ConstantOfShape", "Shape", "Gather", "Unsqueeze", "Squeeze",
    "Transpose", "ReduceMean", "Cast",
  ]

  public static func isDefaultDomain(_ domain: String) -> Bool {
    domain.isEmpty || domain == "ai.onnx"
  }

  /// Throws when the default-domain opset is outside ``opsetVersions`` or any node's op is unsupported.
  public static func check(_ model: Model) throws {
    let version = model.opsetVersion
    guard opsetVersions.contains(version) else {
      throw GraphError("", "opset version \(version) is not supported (supported: \(opsetVersions.lowerBound)...\(opsetVersions.upperBound))")
    }
    let unsupported = model.graph.nodes.filter { !isDefaultDomain($0.domain) || !all.contains($0.opType) }
    guard unsupported.isEmpty else {
      let list = unsupported.map { node in
        let op = isDefaultDomain(node.domain) ? node.opType : "\(node.domain).\(node.opType)"
        return "node '\(node.name.isEmpty ? (node.outputs.first ?? "?") : node.name)' (\(op))"
      }
      throw GraphError("", "unsupported ops: " + list.joined(separator: ", "))
    }
  }
}
