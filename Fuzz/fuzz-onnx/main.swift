import Foundation
import FuzzDriver
import GraphCompiler
import GraphIR
import GraphPlan

// The ONNX reader, verifier and shape inference on any bytes; the whole compile pipeline
// (folding, fusion, lowering, planning) and the plan validator for models small enough
// to compile in a few milliseconds. External data is not read (its shapes are enough).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = Data(bytes: data!, count: size)
  guard let model = try? ONNXReader.read(bytes: bytes, baseDirectory: "/nonexistent-fuzz-dir", options: .init(loadExternalData: false)),
    (try? Verifier.verify(model)) != nil,
    (try? ShapeInference.infer(model)) != nil
  else { return 0 }
  _ = try? ShapeInference.infer(model, bindings: ["N": 2])
  let graph = model.graph
  let loaded = graph.initializers.values.allSatisfy(\.isLoaded)
  guard loaded, graph.nodes.count <= 64, graph.initializers.values.reduce(0, { $0 + $1.elementCount }) <= 1 << 20 else { return 0 }
  if let output = try? Pipeline.compile(model, options: .init(batch: 1)) {
    _ = try? output.plan.validate(source: "compiled")
  }
  return 0
}

runFuzzer(fuzzOne)
