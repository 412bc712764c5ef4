import Foundation
import FuzzDriver
import GraphCompiler
import GraphIR
import GraphPlan

// The ONNX reader, verifier and shape inference on any bytes; the whole compile pipeline
// (folding, fusion, lowering, planning) and the plan validator for models small enough
// to compile in a few milliseconds.
//
// An input is a model alone, or a model, the separator below and a weights blob. A model
// alone is read without its external data (its shapes are enough). With a blob, the blob
// is written to `w.weights` in this process's own folder and the model is read from that
// folder with its external data loaded, so the external-data locations, offsets and
// lengths the mutations reach are resolved against a real file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = Data(bytes: data!, count: size)
  let model: Model
  if let split = bytes.range(of: weightsSeparator) {
    guard WeightsFolder.write(bytes[split.upperBound...]) else { return 0 }
    let options = ONNXReader.Options(limits: limits)
    guard let read = try? ONNXReader.read(bytes: Data(bytes[..<split.lowerBound]), baseDirectory: WeightsFolder.path, options: options) else { return 0 }
    model = read
  } else {
    let options = ONNXReader.Options(loadExternalData: false, limits: limits)
    guard let read = try? ONNXReader.read(bytes: bytes, baseDirectory: "/nonexistent-fuzz-dir", options: options) else { return 0 }
    model = read
  }
  guard (try? Verifier.verify(model)) != nil, (try? ShapeInference.infer(model)) != nil else { return 0 }
  _ = try? ShapeInference.infer(model, bindings: ["N": 2])
  let graph = model.graph
  let loaded = graph.initializers.values.allSatisfy(\.isLoaded)
  guard loaded, graph.nodes.count <= 64, graph.initializers.values.reduce(0, { $0 + $1.elementCount }) <= 1 << 20 else { return 0 }
  if let output = try? Pipeline.compile(model, options: .init(batch: 1, limits: limits)) {
    _ = try? output.plan.validate(source: "compiled")
  }
  return 0
}

/// Budgets out of 1 GiB (512 MiB per tensor), under libFuzzer's 2 GB malloc limit: a model
/// the budgets let through that still allocates past that limit is a finding.
let limits = Limits(memory: 1 << 30)

/// Between a model and its weights blob in an input (Tools/fuzz_seeds.py writes the same bytes).
let weightsSeparator = Data("\n--graphc-fuzz-weights--\n".utf8)

/// A folder of this process's own (several fuzzers may run at once) holding `w.weights`,
/// removed at exit.
enum WeightsFolder {
  static let path: String = {
    var template = Array((NSTemporaryDirectory() + "/graphc-fuzz-onnx-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("fuzz-onnx: cannot create a temporary folder") }
    let path = String(cString: made)
    atexit { try? FileManager.default.removeItem(atPath: WeightsFolder.path) }
    return path
  }()

  static func write(_ blob: Data) -> Bool {
    (try? blob.write(to: URL(fileURLWithPath: path + "/w.weights"))) != nil
  }
}

runFuzzer(fuzzOne)
