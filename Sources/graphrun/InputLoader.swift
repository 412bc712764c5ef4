import GraphRuntime

/// Reads INPUT and checks it against the plan's input: whole batch items of float32.
enum InputLoader {
  static func load(_ path: String, for model: CompiledModel) throws -> [String: FloatTensor] {
    guard model.inputs.count == 1, let binding = model.inputs.first else {
      throw RuntimeError.input("the plan has \(model.inputs.count) inputs; graphrun feeds exactly one")
    }
    let item = binding.itemShape
    let itemCount = item.reduce(1, *)
    let fixed = binding.batch
    let expected = "[\(fixed.map(String.init) ?? "N"), \(item.map(String.init).joined(separator: ", "))] float32"
    let values: [Float]
    if path.hasSuffix(".npy") {
      let array = try NPY.read(path: path)
      guard array.sourceType == "<f4" else {
        throw RuntimeError.unsupported("\(path): dtype \(array.sourceType), input '\(binding.name)' needs float32 ('<f4') of shape \(expected)")
      }
      let shape = array.shape
      guard shape == item || (shape.count == item.count + 1 && Array(shape.dropFirst()) == item) else {
        throw RuntimeError.input("\(path): shape \(shape), input '\(binding.name)' expects \(expected)")
      }
      values = array.data
    } else {
      values = try RawFloat32.read(path: path)
    }
    guard !values.isEmpty, values.count % itemCount == 0 else {
      throw RuntimeError.input("\(path): holds \(values.count) floats (\(values.count * 4) bytes), input '\(binding.name)' expects \(expected): a multiple of \(itemCount) floats (\(itemCount * 4) bytes)")
    }
    let batch = values.count / itemCount
    if let fixed, fixed != batch {
      throw RuntimeError.input("\(path): holds \(batch) batch items, the plan was compiled for batch \(fixed) (\(expected), \(fixed * itemCount * 4) bytes)")
    }
    return [binding.name: try FloatTensor(shape: [batch] + item, values: values)]
  }
}
