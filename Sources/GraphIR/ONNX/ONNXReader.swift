import CProtobufC
import Foundation
import GraphPlan
import ONNXSchema

/// Reads ONNX `ModelProto` files (`.graph` and `.onnx` alike) through libprotobuf-c.
///
/// Every problem becomes a ``GraphError`` naming the file and the tensor, node
/// or value at fault; nothing here traps on bad input.
public enum ONNXReader {
  /// How much of a model to read.
  public struct Options: Sendable {
    /// When false, external-data tensors keep their dims but not their values
    /// (`Tensor.Storage.unloaded`): enough for shape inference, no weight I/O.
    public var loadExternalData: Bool
    /// Budgets for tensor and weight bytes, nodes and nesting depth, checked before anything is decoded.
    public var limits: Limits

    public init(loadExternalData: Bool = true, limits: Limits = .machine) {
      self.loadExternalData = loadExternalData
      self.limits = limits
    }
  }

  /// Largest element count accepted for one tensor (about 16 GB of floats).
  static let maxElements = 1 << 32

  /// Reads a model from `path`; external data is resolved next to it.
  public static func read(contentsOf path: String, options: Options = Options()) throws -> Model {
    let url = URL(fileURLWithPath: path)
    let bytes: Data
    do {
      bytes = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw GraphError(path, "cannot read file (\(describe(error)))")
    }
    do {
      return try read(bytes: bytes, baseDirectory: url.deletingLastPathComponent().path, options: options)
    } catch let error as GraphError {
      throw error.inFile(path)
    }
  }

  /// Parses serialized model bytes. External data, if any, is looked up in `baseDirectory`.
  public static func read(bytes: Data, baseDirectory: String?, options: Options = Options()) throws -> Model {
    guard !bytes.isEmpty else { throw GraphError("", "file is empty, not an ONNX model") }
    try bytes.withUnsafeBytes { try NestingCheck.check($0, maxDepth: options.limits.maxNestingDepth) }
    let proto = bytes.withUnsafeBytes { raw in
      onnx__model_proto__unpack(nil, raw.count, raw.bindMemory(to: UInt8.self).baseAddress)
    }
    guard let proto else {
      throw GraphError("", "not a valid ONNX model: protobuf parsing failed (truncated or not a protobuf file)")
    }
    defer { onnx__model_proto__free_unpacked(proto, nil) }
    var context = Context(baseDirectory: baseDirectory, options: options)
    return try context.model(proto.pointee)
  }

  static func describe(_ error: Error) -> String {
    (error as NSError).localizedDescription
  }
}

// MARK: - Conversion from the C structs

extension ONNXReader {
  struct Context {
    var baseDirectory: String?
    var options: Options
    /// External data files already mapped, by resolved path.
    var mappedFiles: [String: Data] = [:]
    /// Every external data file the model names, resolved (read or not).
    var externalFiles: Set<String> = []
    /// Bytes of the tensors read so far and nodes seen so far (subgraphs included), for the limits.
    var weightBytes = 0, nodeCount = 0

    init(baseDirectory: String?, options: Options) {
      self.baseDirectory = baseDirectory
      self.options = options
    }

    mutating func model(_ m: Onnx__ModelProto) throws -> Model {
      guard let graphProto = m.graph else { throw GraphError("", "model has no graph") }
      var opsets: [String: Int] = [:]
      for op in array(m.opset_import, m.n_opset_import) {
        let domain = string(op.pointee.domain)
        opsets[domain == "ai.onnx" ? "" : domain] = Int(op.pointee.version)
      }
      if opsets.isEmpty { opsets[""] = 1 }
      let graph = try self.graph(graphProto.pointee)
      var model = Model(
        graph: graph,
        irVersion: m.has_ir_version != 0 ? Int(m.ir_version) : 0,
        opsetImports: opsets,
        producerName: string(m.producer_name),
        producerVersion: string(m.producer_version))
      model.externalDataFiles = externalFiles
      return model
    }

    mutating func graph(_ g: Onnx__GraphProto) throws -> Graph {
      var initializers: [String: Tensor] = [:]
      for t in array(g.initializer, g.n_initializer) {
        let name = string(t.pointee.name)
        guard !name.isEmpty else { throw GraphError("initializer", "an initializer has no name") }
        guard initializers[name] == nil else {
          throw GraphError("initializer '\(name)'", "defined more than once")
        }
        initializers[name] = try tensor(t.pointee, label: "initializer '\(name)'")
      }
      // IR version 3 lists every initializer as a graph input too: those are constants.
      let inputs = try array(g.input, g.n_input).map { try valueInfo($0.pointee) }
        .filter { initializers[$0.name] == nil }
      let outputs = try array(g.output, g.n_output).map { try valueInfo($0.pointee) }
      var annotations: [String: ValueInfo] = [:]
      for v in array(g.value_info, g.n_value_info) {
        let info = try valueInfo(v.pointee)
        annotations[info.name] = info
      }
      nodeCount += g.n_node
      try limited("graph '\(string(g.name))'") { try options.limits.check("the model's node count", count: nodeCount, against: \.maxNodes) }
      var nodes = try array(g.node, g.n_node).enumerated().map { i, n in try node(n.pointee, index: i) }
      // ONNX does not require unique node names; errors and passes need them, so repeats get a suffix.
      var used = Set<String>()
      for i in nodes.indices {
        var name = nodes[i].name, k = 1
        while used.contains(name) { k += 1; name = "\(nodes[i].name)_\(k)" }
        nodes[i].name = name
        used.insert(name)
      }
      return Graph(
        name: string(g.name), nodes: nodes, inputs: inputs, outputs: outputs,
        initializers: initializers, valueInfo: annotations)
    }

    mutating func node(_ n: Onnx__NodeProto, index: Int) throws -> Node {
      var node = Node(
        name: string(n.name), opType: string(n.op_type), domain: string(n.domain),
        inputs: strings(n.input, n.n_input), outputs: strings(n.output, n.n_output))
      if node.name.isEmpty { node.name = "\(node.opType)_\(index)" }
      if node.domain == "ai.onnx" { node.domain = "" }
      for a in array(n.attribute, n.n_attribute) {
        let name = string(a.pointee.name)
        node.attributes[name] = try attribute(a.pointee, label: "\(node.label) attribute '\(name)'")
      }
      return node
    }

    mutating func attribute(_ a: Onnx__AttributeProto, label: String) throws -> Attribute {
      var type = a.has_type != 0 ? a.type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
      if type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED {
        // Very old files omit the type: infer it from the field that is set.
        if a.has_f != 0 { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT }
        else if a.has_i != 0 { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT }
        else if a.has_s != 0 { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING }
        else if a.t != nil { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR }
        else if a.n_floats > 0 { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS }
        else if a.n_ints > 0 { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS }
        else if a.n_strings > 0 { type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS }
      }
      switch type {
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return .float(a.f)
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return .int(try int(a.i, label))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return .string(bytesString(a.s))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        guard let t = a.t else { throw GraphError(label, "TENSOR attribute has no tensor") }
        return .tensor(try tensor(t.pointee, label: label))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        return .floats(Array(UnsafeBufferPointer(start: a.floats, count: a.n_floats)))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        return .ints(try UnsafeBufferPointer(start: a.ints, count: a.n_ints).map { try int($0, label) })
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
        return .strings(UnsafeBufferPointer(start: a.strings, count: a.n_strings).map(bytesString))
      default:
        throw GraphError(label, "attribute kind \(type.rawValue) (graphs, sparse tensors, types) is not supported")
      }
    }

    func int(_ v: Int64, _ label: String) throws -> Int {
      guard let i = Int(exactly: v) else { throw GraphError(label, "integer \(v) out of range") }
      return i
    }

    func valueInfo(_ v: Onnx__ValueInfoProto) throws -> ValueInfo {
      let name = string(v.name)
      let label = "value '\(name)'"
      guard let type = v.type, type.pointee.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
        let tensorType = type.pointee.tensor_type
      else {
        // Outputs and annotations may come without a type: shape inference fills it in.
        return ValueInfo(name: name, elementType: .float, shape: nil)
      }
      let rawType = tensorType.pointee.elem_type
      guard let elementType = DataType(rawValue: rawType) else {
        throw GraphError(label, DataType.unsupported(raw: Int64(rawType)))
      }
      guard let shapeProto = tensorType.pointee.shape else {
        return ValueInfo(name: name, elementType: elementType, shape: nil)
      }
      var dims: [Dim] = []
      for (i, d) in array(shapeProto.pointee.dim, shapeProto.pointee.n_dim).enumerated() {
        switch d.pointee.value_case {
        case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE:
          let v = d.pointee.dim_value
          guard v >= 0, v < ONNXReader.maxElements else {
            throw GraphError(label, "dimension \(i) is \(v); dims must be between 0 and \(ONNXReader.maxElements)")
          }
          dims.append(.fixed(Int(v)))
        case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
          dims.append(.symbol(string(d.pointee.dim_param)))
        default:
          dims.append(.symbol("\(name)_dim\(i)"))
        }
      }
      return ValueInfo(name: name, elementType: elementType, shape: Shape(dims))
    }

    mutating func tensor(_ t: Onnx__TensorProto, label: String) throws -> Tensor {
      let rawType = t.has_data_type != 0 ? t.data_type : 0
      guard let dataType = DataType(rawValue: rawType) else {
        throw GraphError(label, DataType.unsupported(raw: Int64(rawType), what: "tensor element type"))
      }
      var dims: [Int] = []
      var count = 1
      for d in UnsafeBufferPointer(start: t.dims, count: t.n_dims) {
        guard d >= 0, d < ONNXReader.maxElements else {
          throw GraphError(label, "tensor dimension \(d) is negative or too large")
        }
        dims.append(Int(d))
        let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
        guard !overflow, product <= ONNXReader.maxElements else {
          throw GraphError(label, "tensor has too many elements")
        }
        count = product
      }

      let external = t.has_data_location != 0 && t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
      let storage: Tensor.Storage
      if external && !options.loadExternalData {
        return Tensor(dataType: dataType, dims: dims, storage: .unloaded)
      }
      // Checked before any value is decoded or any external file is mapped.
      let what = external ? "tensor \(dims) of \(dataType) (external data)" : "tensor \(dims) of \(dataType)"
      try limited(label) {
        let bytes = try options.limits.check(what, count: count, elementSize: dataType.byteSize, against: \.maxTensorBytes)
        weightBytes += bytes
        try options.limits.check("the model's tensors so far (\(what) included)", count: weightBytes, against: \.maxWeightBytes)
      }
      if external {
        storage = try externalStorage(t, dataType, label: label, expected: count * dataType.byteSize)
      } else if t.has_raw_data != 0 {
        let raw = UnsafeRawBufferPointer(start: t.raw_data.data, count: t.raw_data.len)
        guard raw.count == count * dataType.byteSize else {
          throw GraphError(label, "raw_data holds \(raw.count) bytes, shape \(dims) of \(dataType) needs \(count * dataType.byteSize)")
        }
        storage = decodeRaw(raw, dataType)
      } else {
        storage = try typedFields(t, dataType, label: label)
      }
      let tensor = Tensor(dataType: dataType, dims: dims, storage: storage)
      guard tensor.count == count else {
        throw GraphError(label, "tensor holds \(tensor.count) values, its shape \(dims) needs \(count)")
      }
      return tensor
    }

    /// Runs `body`, reporting a ``LimitError`` as a ``GraphError`` at `location`.
    func limited(_ location: String, _ body: () throws -> Void) throws {
      do { try body() } catch let error as LimitError { throw GraphError(location, error.message) }
    }

    func typedFields(_ t: Onnx__TensorProto, _ type: DataType, label: String) throws -> Tensor.Storage {
      switch type {
      case .float: return .floats(Array(UnsafeBufferPointer(start: t.float_data, count: t.n_float_data)))
      case .double: return .doubles(Array(UnsafeBufferPointer(start: t.double_data, count: t.n_double_data)))
      case .int64: return .integers(Array(UnsafeBufferPointer(start: t.int64_data, count: t.n_int64_data)))
      case .uint32: return .integers(UnsafeBufferPointer(start: t.uint64_data, count: t.n_uint64_data).map { Int64($0) })
      case .int32, .int16, .int8, .uint16, .uint8, .bool:
        return .integers(UnsafeBufferPointer(start: t.int32_data, count: t.n_int32_data).map { Int64($0) })
      }
    }

    func decodeRaw(_ raw: UnsafeRawBufferPointer, _ type: DataType) -> Tensor.Storage {
      let n = type.byteSize == 0 ? 0 : raw.count / type.byteSize
      func load<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
        (0..<n).map { Int64(T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
      }
      switch type {
      case .float where 1.littleEndian == 1:
        // Little-endian host: the bytes are the floats; copy them in one go.
        return .floats([Float](unsafeUninitializedCapacity: n) { buffer, count in
          UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(n * 4)]))
          count = n
        })
      case .float:
        return .floats((0..<n).map {
          Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        })
      case .double:
        return .doubles((0..<n).map {
          Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))
        })
      case .int64: return .integers(load(Int64.self))
      case .int32: return .integers(load(Int32.self))
      case .uint32: return .integers(load(UInt32.self))
      case .int16: return .integers(load(Int16.self))
      case .uint16: return .integers(load(UInt16.self))
      case .int8: return .integers(load(Int8.self))
      case .uint8, .bool: return .integers(load(UInt8.self))
      }
    }

    /// The values of an external-data tensor, read from a file inside the model's folder.
    mutating func externalStorage(_ t: Onnx__TensorProto, _ type: DataType, label: String, expected: Int) throws -> Tensor.Storage {
      var fields: [String: String] = [:]
      for e in array(t.external_data, t.n_external_data) {
        fields[string(e.pointee.key)] = string(e.pointee.value)
      }
      guard let location = fields["location"], !location.isEmpty else {
        throw GraphError(label, "external data without a 'location'")
      }
      guard let base = baseDirectory else {
        throw GraphError(label, "external data '\(location)' but the model was not read from a file")
      }
      let resolved = try Self.resolve(location, in: base, label: label)
      externalFiles.insert(resolved)
      guard let offset = Int(fields["offset"] ?? "0"), offset >= 0 else {
        throw GraphError(label, "external data offset '\(fields["offset"] ?? "")' is not a valid number")
      }
      let length = Int(fields["length"] ?? "") ?? expected
      guard length == expected else {
        throw GraphError(label, "external data length \(length) does not match the \(expected) bytes its shape needs")
      }
      if mappedFiles[resolved] == nil {
        do {
          mappedFiles[resolved] = try Data(contentsOf: URL(fileURLWithPath: resolved), options: .alwaysMapped)
        } catch {
          throw GraphError(label, "cannot read external data file '\(resolved)' (\(ONNXReader.describe(error)))")
        }
      }
      let file = mappedFiles[resolved]!
      guard offset <= file.count, length <= file.count - offset else {
        // No `offset + length` here: both come from the file, and their sum may overflow.
        throw GraphError(label, "external data file '\(resolved)' is \(file.count) bytes, the tensor needs \(length) bytes at offset \(offset)")
      }
      return file.withUnsafeBytes { decodeRaw(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)]), type) }
    }

    /// Resolves `location` against `base`, refusing absolute paths and any path leaving `base`.
    static func resolve(_ location: String, in base: String, label: String) throws -> String {
      guard !location.hasPrefix("/") else {
        throw GraphError(label, "external data location '\(location)' is absolute; it must be relative to the model's folder")
      }
      var depth = 0
      for part in location.split(separator: "/") {
        if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
        guard depth >= 0 else {
          throw GraphError(label, "external data location '\(location)' escapes the model's folder")
        }
      }
      let path = (base as NSString).appendingPathComponent(location)
      // A symbolic link inside the folder may still point out of it: compare real paths.
      let realBase = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
      let realPath = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
      guard realPath == realBase || realPath.hasPrefix(realBase.hasSuffix("/") ? realBase : realBase + "/") else {
        throw GraphError(label, "external data location '\(location)' leads out of the model's folder (to \(realPath))")
      }
      return path
    }

    func array<T>(_ p: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ n: Int) -> [UnsafeMutablePointer<T>] {
      guard let p else { return [] }
      return UnsafeBufferPointer(start: p, count: n).compactMap { $0 }
    }

    func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
      p.map { String(cString: $0) } ?? ""
    }

    func strings(_ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ n: Int) -> [String] {
      guard let p else { return [] }
      return UnsafeBufferPointer(start: p, count: n).map(string)
    }

    func bytesString(_ b: ProtobufCBinaryData) -> String {
      String(decoding: UnsafeRawBufferPointer(start: b.data, count: b.len), as: UTF8.self)
    }
  }
}
