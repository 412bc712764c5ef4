/// The operators and opset versions the compiler handles, checked up front so a
/// model with several unknown ops is reported in one error rather than one at a time.
public enum SupportedOps {
  /// Default-domain opset versions whose semantics the shape rules follow.
  public static let opsetVersions = 7...22

  /// Every supported default-domain operator, with the attributes it may carry.
  /// An attribute outside this list could change what the op means, so it is an error.
  public static let attributes: [String: Set<String>] = [
    "Conv": ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"],
    "MaxPool": ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"],
    "AveragePool": ["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"],
    "GlobalAveragePool": [], "GlobalMaxPool": [],
    "Gemm": ["alpha", "beta", "transA", "transB"], "MatMul": [],
    "Concat": ["axis"], "Add": [], "Sub": [], "Mul": [], "Div": [], "Sum": [],
    "Relu": [], "Clip": ["min", "max"],
    "BatchNormalization": ["epsilon", "momentum", "training_mode", "spatial"],
    "Flatten": ["axis"], "Reshape": ["allowzero"], "Dropout": ["ratio", "seed"],
    "LRN": ["alpha", "beta", "bias", "size"], "Softmax": ["axis"], "Identity": [],
    "Constant": ["value", "value_float", "value_floats", "value_int", "value_ints"],
    "ConstantOfShape": ["value"], "Shape": ["start", "end"], "Gather": ["axis"],
    "Unsqueeze": ["axes"], "Squeeze": ["axes"], "Transpose": ["perm"],
    "ReduceMean": ["axes", "keepdims", "noop_with_empty_axes"], "Cast": ["to", "saturate"],
  ]

  /// Every supported default-domain operator.
  public static var all: Set<String> { Set(attributes.keys) }

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
    var unknown: [String] = []
    for node in model.graph.nodes {
      let allowed = attributes[node.opType] ?? []
      for key in node.attributes.keys.sorted() where !allowed.contains(key) {
        unknown.append("\(node.label) attribute '\(key)'")
      }
      if node.opType == "BatchNormalization", case .int(let mode)? = node.attributes["training_mode"], mode != 0 {
        unknown.append("\(node.label) training_mode=\(mode) (only inference is supported)")
      }
    }
    guard unknown.isEmpty else {
      throw GraphError("", "unsupported attributes: " + unknown.joined(separator: ", "))
    }
  }
}
