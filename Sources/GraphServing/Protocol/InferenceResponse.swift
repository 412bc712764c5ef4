/// Encodes the protocol's inference response: the JSON object, then the data of the
/// outputs returned as binary (binary tensor extension), in the order they appear.
public struct InferenceResponse {
  /// The body, and the JSON part's length when binary data follows it (the value of the
  /// `Inference-Header-Content-Length` response header; nil for an all-JSON body).
  public var body: [UInt8]
  public var headerLength: Int?

  /// - Parameters:
  ///   - outputs: the model's outputs (each `[batch] + item shape` values), by model output index.
  ///   - labels: class names for the classification extension (index order), if the model has them.
  public init(
    modelName: String, modelVersion: String, request: InferenceRequest,
    signature: ModelSignature, outputs: [OutputValues], labels: [String]?
  ) {
    var blobs: [UInt8] = []
    var json = JSONWriter()
    json.object { o in
      o.member("model_name") { $0.string(modelName) }
      o.member("model_version") { $0.string(modelVersion) }
      if let id = request.id { o.member("id") { $0.string(id) } }
      o.member("outputs") { json in
        json.list(request.outputs) { json, requested in
          let values = outputs[requested.index]
          let item = signature.outputs[requested.index].itemShape
          let batch = request.batch
          json.object { o in
            o.member("name") { $0.string(requested.name) }
            if let k = requested.classification {
              let classes = Self.classify(values.floats(), batch: batch, top: k, labels: labels)
              o.member("datatype") { $0.raw("\"BYTES\"") }
              o.member("shape") { $0.ints([batch, classes.count / batch]) }
              if requested.binary {
                let start = blobs.count
                for s in classes {
                  withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { blobs.append(contentsOf: $0) }
                  blobs.append(contentsOf: s.utf8)
                }
                o.member("parameters") { p in p.object { $0.member("binary_data_size") { $0.int(blobs.count - start) } } }
              } else {
                o.member("data") { $0.strings(classes) }
              }
            } else {
              o.member("datatype") { $0.string(values.datatype.rawValue) }
              o.member("shape") { $0.ints([batch] + item) }
              if requested.binary {
                blobs.append(contentsOf: values.bytes)
                o.member("parameters") { p in p.object { $0.member("binary_data_size") { $0.int(values.bytes.count) } } }
              } else {
                o.member("data") { values.writeJSON(&$0) }
              }
            }
          }
        }
      }
    }
    headerLength = blobs.isEmpty ? nil : json.bytes.count
    body = json.bytes + blobs
  }

  /// Triton's classification extension: per batch item, the `top` largest scores as
  /// `"score:index"` or `"score:index:label"`, highest first (ties: lower index first).
  static func classify(_ values: [Float], batch: Int, top: Int, labels: [String]?) -> [String] {
    let perItem = values.count / batch
    let k = min(top, perItem)
    var result: [String] = []
    for n in 0..<batch {
      let scores = values[n * perItem..<(n + 1) * perItem]
      let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
      for i in order.prefix(k) {
        let index = i - n * perItem
        let label = labels.flatMap { index < $0.count ? ":" + $0[index] : nil } ?? ""
        result.append("\(scores[i]):\(index)\(label)")
      }
    }
    return result
  }
}
