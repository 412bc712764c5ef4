import FuzzDriver
import GraphPlan
import GraphRuntime

// The plan reader and validator (`graphc inspect`, graphrun's loading), then, for plans that
// validate and are small enough to run here, a session run on zero inputs: the validator
// promises that kernels can index without further checks, and ASan checks that promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  guard let (plan, weightsOffset) = try? PlanReader.decode(bytes, source: "fuzz.plan") else { return 0 }
  _ = PlanDescription.listing(plan)
  run(plan, weights: bytes, at: weightsOffset)
  return 0
}

/// Arena and weights this harness runs (the budget checks of larger ones are the runtime's own).
let runnableFloats = 1 << 22

/// Whether the product of `factors` is at most ``runnableFloats`` (without overflowing).
func runnable(_ factors: [Int]) -> Bool {
  var product = 1
  for f in factors {
    let (p, overflow) = product.multipliedReportingOverflow(by: f)
    guard !overflow, p <= runnableFloats else { return false }
    product = p
  }
  return true
}

func run(_ plan: Plan, weights bytes: UnsafeRawBufferPointer, at offset: Int) {
  let batch = plan.fixedBatch ?? 1
  // The inputs too: a plan of a large fixed batch whose arena is all fixed floats asked this
  // harness for a 3 GiB input (libFuzzer's malloc limit, not the runtime's budgets, stopped it).
  guard runnable([plan.arenaFloatsPerItem, batch]), runnable([plan.arenaFixedFloats]), runnable([plan.weightCount]) else { return }
  let weights = (0..<plan.weightCount).map { Float(bitPattern: bytes.loadUnaligned(fromByteOffset: offset + $0 * 4, as: UInt32.self)) }
  guard let model = try? CompiledModel(plan: plan, weights: weights), let session = try? model.makeSession(threads: 1) else { return }
  var inputs: [String: FloatTensor] = [:]
  for (name, _, itemShape) in model.inputs {
    let shape = [batch] + itemShape
    guard runnable(shape), let tensor = try? FloatTensor(shape: shape, values: [Float](repeating: 0.5, count: shape.reduce(1, *))) else { return }
    inputs[name] = tensor
  }
  _ = try? session.runTyped(inputs)  // every output as its type: bool bytes and integer constants too
}

runFuzzer(fuzzOne)
