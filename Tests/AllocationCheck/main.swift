// allocation-check PLAN... [--threads 1,2] [--runs N] [--batch B]
//
// Checks that a session run into kept output tensors (`Session.run(_:into:)`, and `runTyped(_:into:)`) allocates nothing:
// for each plan and thread count, warms a session with two different inputs, then counts the heap
// allocations of every thread in the process (the AllocationCounter interposes malloc) over `runs`
// runs. Exits 1 when any run allocated, when the outputs differ from a plain run's, or when the
// counter does not count. Meaningful in optimized builds (Tools/check_allocations.sh builds with
// -c release): unspecialized generic code in debug builds allocates in the standard library.
import AllocationCounter
import GraphPlan
import GraphRuntime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes `error: message` to standard error.
func report(_ message: String) {
  var line = "error: \(message)\n"
  line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
  report(message)
  exit(1)
}

var plans: [String] = []
var threadCounts = [1, 2]
var runs = 20
var batch: Int? = nil
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--threads":
    guard let list = arguments.popFirst().map({ $0.split(separator: ",").compactMap { Int($0) } }), !list.isEmpty else {
      fail("--threads needs a list such as 1,2")
    }
    threadCounts = list
  case "--runs":
    guard let n = arguments.popFirst().flatMap({ Int($0) }), n > 0 else { fail("--runs needs a positive count") }
    runs = n
  case "--batch":
    guard let n = arguments.popFirst().flatMap({ Int($0) }), n > 0 else { fail("--batch needs a positive size") }
    batch = n
  default: plans.append(argument)
  }
}
guard !plans.isEmpty else { fail("usage: allocation-check PLAN... [--threads 1,2] [--runs N] [--batch B]") }
guard graphc_allocation_count() >= 0 else { fail("no allocation counter on this platform") }

/// Deterministic inputs for every input of `model` (a different pattern per `seed`).
func inputs(_ model: CompiledModel, batch: Int, seed: Int) throws -> [String: FloatTensor] {
  var result: [String: FloatTensor] = [:]
  for input in model.inputs {
    let shape = [input.batch ?? batch] + input.itemShape
    let count = shape.reduce(1, *)
    let values = (0..<count).map { Float(($0 &* 7919 &+ seed &* 104_729) % 2003) / 1001 - 1 }
    result[input.name] = try FloatTensor(shape: shape, values: values)
  }
  return result
}

/// Runs each step of `model` alone (twice, counting the second) and reports those that allocate.
func reportAllocatingSteps(_ model: CompiledModel, _ session: Session, batch: Int) throws {
  for (index, step) in model.plan.steps.enumerated() {
    try session.executeStep(index, batch: batch)
    let start = graphc_allocation_count()
    try session.executeStep(index, batch: batch)
    let allocations = graphc_allocation_count() - start
    if allocations != 0 {
      report("  step \(index) '\(step.name)' (\(PlanDescription.summary(step.kernel))): \(allocations) allocations per run")
    }
  }
}

var failed = false
for path in plans {
  do {
    let model = try CompiledModel(contentsOfFile: path)
    for threads in threadCounts {
      let session = try model.makeSession(threads: threads)
      let a = try inputs(model, batch: batch ?? 1, seed: 1), b = try inputs(model, batch: batch ?? 1, seed: 2)
      var outputs: [String: FloatTensor] = [:]
      // Warm up: the arena, every thread's scratch, the output tensors.
      for x in [a, b, a, b] { try session.run(x, into: &outputs) }
      let plainStart = graphc_allocation_count()
      let expected = try session.run(b)
      let plainAllocations = graphc_allocation_count() - plainStart

      let start = graphc_allocation_count()
      for i in 0..<runs { try session.run(i % 2 == 0 ? a : b, into: &outputs) }
      let allocations = graphc_allocation_count() - start

      let same = outputs == expected
      let name = path.split(separator: "/").last.map(String.init) ?? path
      print("\(name): \(threads) thread\(threads == 1 ? "" : "s"): \(allocations) allocations in \(runs) runs into kept outputs (a plain run: \(plainAllocations))")
      if allocations != 0 {
        failed = true
        report("\(path): \(threads) threads: runs into kept outputs allocated \(allocations) times")
        try reportAllocatingSteps(model, session, batch: batch ?? 1)
      }
      if !same { failed = true; report("\(path): \(threads) threads: outputs differ from a plain run's") }
      if plainAllocations <= 0 { failed = true; report("the counter saw no allocation in a plain run (which returns new arrays)") }

      // The typed path (every output as its own type) must be as allocation-free.
      var typed: [String: TypedTensor] = [:]
      for x in [a, b] { try session.runTyped(x, into: &typed) }
      let typedStart = graphc_allocation_count()
      for i in 0..<runs { try session.runTyped(i % 2 == 0 ? a : b, into: &typed) }
      let typedAllocations = graphc_allocation_count() - typedStart
      if typedAllocations != 0 {
        failed = true
        report("\(path): \(threads) threads: typed runs into kept outputs allocated \(typedAllocations) times")
      }
    }
  } catch {
    failed = true
    report("\(error)")
  }
}
exit(failed ? 1 : 0)
