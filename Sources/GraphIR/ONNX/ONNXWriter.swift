import AtomicFile
import CProtobufC
import Foundation
import ONNXSchema

/// Writes models as ONNX `ModelProto` through libprotobuf-c.
///
/// Tensors go to `raw_data`, or, when an external-data file name is given and a
/// tensor is larger than `externalThreshold` bytes, to that file (4 KiB aligned,
/// so onnxruntime can map it). Both files are written atomically.
public enum ONNXWriter {
  public struct Output {
    /// The serialized ModelProto.
    public var model: [UInt8]
    /// The external-data file's bytes, when any tensor went there.
    public var weights: [UInt8]?
  }

  /// Serializes `model`. `externalData` is the file name (relative to the model) for large tensors.
  public static func serialize(_ model: Model, externalData: String? = nil, externalThreshold: Int = 4096) throws -> Output {
    for (name, tensor) in model.graph.initializers where !tensor.isLoaded {
      throw GraphError("initializer '\(name)'", "cannot write a tensor whose external data was not loaded")
    }
    let builder = Builder(externalData: externalData, threshold: externalThreshold)
    let proto = try builder.model(model)
    let size = onnx__model_proto__get_packed_size(proto)
    var bytes = [UInt8](repeating: 0, count: size)
    let written = bytes.withUnsafeMutableBufferPointer { onnx__model_proto__pack(proto, $0.baseAddress) }
    precondition(written == size, "protobuf-c packed \(written) of \(size) bytes")
    return Output(model: bytes, weights: builder.weights.isEmpty ? nil : builder.weights)
  }

  /// Writes `model` to `path`; with `externalData`, large tensors go to that file beside it.
  public static func write(_ model: Model, to path: String, externalData: String? = nil, externalThreshold: Int = 4096) throws {
    let out = try serialize(model, externalData: externalData, externalThreshold: externalThreshold)
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    if let name = externalData, let weights = out.weights {
      try writeAtomically(weights, to: folder.appendingPathComponent(name).path)
    }
    try writeAtomically(out.model, to: path)
  }

  /// Writes `bytes` to `path` without ever leaving a half-written file (see ``AtomicFile``).
  public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    do {
      try AtomicFile.write(bytes, to: path)
    } catch {
      throw GraphError(path, "cannot write file (\(error.reason))")
    }
  }
}

// MARK: - Building the C structs

extension ONNXWriter {
  /// Owns every C allocation of one serialization and frees them all at the end.
  final class Builder {
    let externalData: String?
    let threshold: Int
    var weights: [UInt8] = []
    private var allocations: [UnsafeMutableRawPointer] = []

    init(externalData: String?, threshold: Int) {
      self.externalData = externalData
      self.threshold = threshold
    }

    deinit { allocations.forEach { free($0) } }

    func alloc<T>(_: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
      let raw = calloc(max(count, 1), MemoryLayout<T>.stride)!
      allocations.append(raw)
      return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
      let p = strdup(s)!
      allocations.append(UnsafeMutableRawPointer(p))
      return p
    }

    func bytes(_ b: [UInt8]) -> ProtobufCBinaryData {
      let p = alloc(UInt8.self, count: b.count)
      p.initialize(from: b, count: b.count)
      return ProtobufCBinaryData(len: b.count, data: p)
    }

    func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
      let p = alloc(T.self, count: values.count)
      p.initialize(from: values, count: values.count)
      return p
    }

    func list<T>(_ items: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?> {
      let p = alloc(UnsafeMutablePointer<T>?.self, count: items.count)
      for (i, item) in items.enumerated() { p[i] = item }
      return p
    }

    func model(_ m: Model) throws -> UnsafeMutablePointer<Onnx__ModelProto> {
      let p = alloc(Onnx__ModelProto.self)
      onnx__model_proto__init(p)
      p.pointee.has_ir_version = 1
      p.pointee.ir_version = Int64(m.irVersion)
      p.pointee.producer_name = cString(m.producerName)
      p.pointee.producer_version = cString(m.producerVersion)
      let opsets = m.opsetImports.sorted { $0.key < $1.key }.map { domain, version in
        let o = alloc(Onnx__OperatorSetIdProto.self)
        onnx__operator_set_id_proto__init(o)
        o.pointee.domain = cString(domain)
        o.pointee.has_version = 1
        o.pointee.version = Int64(version)
        return o
      }
      p.pointee.n_opset_import = opsets.count
      p.pointee.opset_import = list(opsets)
      p.pointee.graph = try graph(m.graph)
      return p
    }

    func graph(_ g: Graph) throws -> UnsafeMutablePointer<Onnx__GraphProto> {
      let p = alloc(Onnx__GraphProto.self)
      onnx__graph_proto__init(p)
      p.pointee.name = cString(g.name)
      let nodes = try g.nodes.map(node)
      p.pointee.n_node = nodes.count
      p.pointee.node = list(nodes)
      let inits = try g.initializerOrder.map { try tensor(g.initializers[$0]!, name: $0, allowExternal: true) }
      p.pointee.n_initializer = inits.count
      p.pointee.initializer = list(inits)
      let inputs = g.inputs.map(valueInfo)
      p.pointee.n_input = inputs.count
      p.pointee.input = list(inputs)
      let outputs = g.outputs.map(valueInfo)
      p.pointee.n_output = outputs.count
      p.pointee.output = list(outputs)
      let annotations = g.valueInfo.keys.sorted().map { valueInfo(g.valueInfo[$0]!) }
      p.pointee.n_value_info = annotations.count
      p.pointee.value_info = list(annotations)
      return p
    }

    func node(_ n: Node) throws -> UnsafeMutablePointer<Onnx__NodeProto> {
      let p = alloc(Onnx__NodeProto.self)
      onnx__node_proto__init(p)
      p.pointee.name = cString(n.name)
      p.pointee.op_type = cString(n.opType)
      if !n.domain.isEmpty { p.pointee.domain = cString(n.domain) }
      p.pointee.n_input = n.inputs.count
      p.pointee.input = list(n.inputs.map(cString))
      p.pointee.n_output = n.outputs.count
      p.pointee.output = list(n.outputs.map(cString))
      let attrs = try n.attributes.keys.sorted().map { try attribute(n.attributes[$0]!, name: $0) }
      p.pointee.n_attribute = attrs.count
      p.pointee.attribute = list(attrs)
      return p
    }

    func attribute(_ a: Attribute, name: String) throws -> UnsafeMutablePointer<Onnx__AttributeProto> {
      let p = alloc(Onnx__AttributeProto.self)
      onnx__attribute_proto__init(p)
      p.pointee.name = cString(name)
      p.pointee.has_type = 1
      switch a {
      case .float(let v):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
        p.pointee.has_f = 1
        p.pointee.f = v
      case .int(let v):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
        p.pointee.has_i = 1
        p.pointee.i = Int64(v)
      case .string(let v):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
        p.pointee.has_s = 1
        p.pointee.s = bytes(Array(v.utf8))
      case .tensor(let t):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
        p.pointee.t = try tensor(t, name: "", allowExternal: false)
      case .floats(let v):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
        p.pointee.n_floats = v.count
        p.pointee.floats = copy(v)
      case .ints(let v):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
        p.pointee.n_ints = v.count
        p.pointee.ints = copy(v.map { Int64($0) })
      case .strings(let v):
        p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS
        p.pointee.n_strings = v.count
        p.pointee.strings = copy(v.map { bytes(Array($0.utf8)) })
      }
      return p
    }

    func tensor(_ t: Tensor, name: String, allowExternal: Bool) throws -> UnsafeMutablePointer<Onnx__TensorProto> {
      let p = alloc(Onnx__TensorProto.self)
      onnx__tensor_proto__init(p)
      if !name.isEmpty { p.pointee.name = cString(name) }
      p.pointee.has_data_type = 1
      p.pointee.data_type = t.dataType.rawValue
      p.pointee.n_dims = t.dims.count
      p.pointee.dims = copy(t.dims.map { Int64($0) })
      let raw = Self.rawBytes(t)
      if allowExternal, let file = externalData, raw.count > threshold {
        // Align each tensor to 4 KiB so the weights file can be memory-mapped per tensor.
        let offset = (weights.count + 4095) / 4096 * 4096
        weights.append(contentsOf: repeatElement(0, count: offset - weights.count))
        weights.append(contentsOf: raw)
        let entries = [("location", file), ("offset", String(offset)), ("length", String(raw.count))].map { key, value in
          let e = alloc(Onnx__StringStringEntryProto.self)
          onnx__string_string_entry_proto__init(e)
          e.pointee.key = cString(key)
          e.pointee.value = cString(value)
          return e
        }
        p.pointee.n_external_data = entries.count
        p.pointee.external_data = list(entries)
        p.pointee.has_data_location = 1
        p.pointee.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
      } else {
        p.pointee.has_raw_data = 1
        p.pointee.raw_data = bytes(raw)
      }
      return p
    }

    /// Little-endian bytes of `t` as ONNX `raw_data` lays them out.
    static func rawBytes(_ t: Tensor) -> [UInt8] {
      var out: [UInt8] = []
      out.reserveCapacity(t.count * t.dataType.byteSize)
      func put<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
      }
      switch t.dataType {
      case .float: t.floats.forEach { put($0.bitPattern) }
      case .double:
        if case .doubles(let v) = t.converted(to: .double).storage { v.forEach { put($0.bitPattern) } }
      case .int64: t.int64s.forEach { put($0) }
      case .int32: t.int64s.forEach { put(Int32(truncatingIfNeeded: $0)) }
      case .uint32: t.int64s.forEach { put(UInt32(truncatingIfNeeded: $0)) }
      case .int16: t.int64s.forEach { put(Int16(truncatingIfNeeded: $0)) }
      case .uint16: t.int64s.forEach { put(UInt16(truncatingIfNeeded: $0)) }
      case .int8: t.int64s.forEach { put(Int8(truncatingIfNeeded: $0)) }
      case .uint8, .bool: t.int64s.forEach { put(UInt8(truncatingIfNeeded: $0)) }
      }
      return out
    }

    func valueInfo(_ v: ValueInfo) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
      let p = alloc(Onnx__ValueInfoProto.self)
      onnx__value_info_proto__init(p)
      p.pointee.name = cString(v.name)
      let type = alloc(Onnx__TypeProto.self)
      onnx__type_proto__init(type)
      let tensorType = alloc(Onnx__TypeProto__Tensor.self)
      onnx__type_proto__tensor__init(tensorType)
      tensorType.pointee.has_elem_type = 1
      tensorType.pointee.elem_type = v.elementType.rawValue
      if let shape = v.shape {
        let s = alloc(Onnx__TensorShapeProto.self)
        onnx__tensor_shape_proto__init(s)
        let dims = shape.dims.map { d in
          let dp = alloc(Onnx__TensorShapeProto__Dimension.self)
          onnx__tensor_shape_proto__dimension__init(dp)
          switch d {
          case .fixed(let value):
            dp.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
            dp.pointee.dim_value = Int64(value)
          case .symbol(let name):
            dp.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
            dp.pointee.dim_param = cString(name)
          }
          return dp
        }
        s.pointee.n_dim = dims.count
        s.pointee.dim = list(dims)
        tensorType.pointee.shape = s
      }
      type.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
      type.pointee.tensor_type = tensorType
      p.pointee.type = type
      return p
    }
  }
}
