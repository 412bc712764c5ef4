import GraphPlan

// A structure-aware mutator: random byte flips almost never get past the checksum, and
// when they do, rarely put a plausible-but-hostile number in just one field. This one
// decodes the plan, puts hostile values into its fields (every Int the format stores:
// sizes, dims, offsets, counts, kernel geometry) or into raw field bytes, and writes a
// plan with a correct header and checksum, so each mutant reaches the validator.

@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
  var rng = SplitMix(seed: UInt64(seed))
  var mutator = PlanMutator(rng: SplitMix(seed: rng.next()))
  let input = [UInt8](UnsafeBufferPointer(start: data, count: size))
  var output: [UInt8]
  if let (plan, offset) = try? input.withUnsafeBytes({ try PlanReader.decodeUnvalidated($0, source: "") }), rng.below(4) != 0 {
    let weights = Array(input[offset..<(offset + plan.weightCount * 4)])
    output = mutator.mutated(plan, weights: weights)
  } else {
    output = input
    if rng.below(2) == 0 || output.count < 64 {
      output += [UInt8](repeating: 0, count: 16)
      let n = LLVMFuzzerMutate(&output, size, output.count)
      output.removeLast(output.count - n)
    } else {
      mutator.overwriteField(&output)
    }
    PlanMutator.fixHeader(&output)
  }
  guard output.count <= maxSize else { return size }
  output.withUnsafeBytes { data!.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: $0.count) }
  return output.count
}

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

struct PlanMutator {
  var rng: SplitMix

  /// Values that break arithmetic: around 2^31, 2^32, 2^40 (the reader's limit) and 2^62, zero, negatives.
  static let hostile: [Int] = [
    0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 63, 64, 255, 256, 4096, 65535, 1 << 16, 1 << 20, 1 << 24,
    (1 << 31) - 1, 1 << 31, (1 << 31) + 1, (1 << 32) - 1, 1 << 32, (1 << 32) + 1, 1 << 33, 1 << 35, (1 << 36) - 1, 1 << 36,
    1 << 39, (1 << 40) - 1, 1 << 40, (1 << 40) + 1, 1 << 48, 1 << 62, Int.max, Int.min, -1, -2, -(1 << 31), -(1 << 32),
  ]

  mutating func value(near old: Int) -> Int {
    switch rng.below(4) {
    case 0: return old &+ (Int(rng.below(9)) - 4)
    case 1: return old &* Int(1 << rng.below(33))
    default: return Self.hostile[rng.below(Self.hostile.count)]
    }
  }

  /// The plan with a few fields changed, serialized with a valid header and checksum.
  mutating func mutated(_ plan: Plan, weights: [UInt8]) -> [UInt8] {
    var plan = plan
    var weightCount = plan.weightCount
    for _ in 0...rng.below(3) {
      switch rng.below(10) {
      case 0: weightCount = value(near: weightCount)
      case 1: structural(&plan)
      case 2, 3: refit(&plan)
      case 4, 5: kernelBurst(&plan)
      default:
        var slots = IntSlots()
        slots.collect(plan)
        guard slots.count > 0 else { continue }
        let target = rng.below(slots.count)
        var v = 0
        slots.visit(&plan, target) { v = value(near: $0); $0 = v }
      }
    }
    let floats = weights.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    plan.weightCount = floats.count
    var bytes = try! plan.serialized(weights: floats)  // cannot throw: weightCount is floats.count (set above)
    if weightCount != floats.count {
      // The metadata section starts with batch, arena, weight count (its offset is the first table entry's).
      let meta = Int(Self.u64(bytes, at: PlanMutatorLayout.firstSectionOffset))
      Self.put(UInt64(bitPattern: Int64(weightCount)), into: &bytes, at: meta + 16, width: 8)
    }
    Self.fixHeader(&bytes)
    return bytes
  }

  /// Gives one operand of a step a hostile dimension while keeping the rest of the plan
  /// consistent with it: the view moves to the end of a grown arena, and the kernel's sizes
  /// follow its operands, so the plan gets past the view checks to the kernel's own checks
  /// (where products of individually plausible sizes overflow).
  mutating func refit(_ plan: inout Plan) {
    guard !plan.steps.isEmpty else { return }
    let s = rng.below(plan.steps.count)
    var step = plan.steps[s]
    // One or two operands (an input and the output, say), so products of two sizes get large.
    for _ in 0...rng.below(2) {
      let operand = rng.below(step.inputs.count + 1)
      var view = operand < step.inputs.count ? step.inputs[operand] : step.output
      if view.dims.isEmpty { view.dims = [1] }
      // Views allow dims below 2^31 only: a large count takes two large dims.
      let large = [1 << 4, 1 << 16, 1 << 20, 1 << 24, 1 << 30, (1 << 31) - 1, 1 << 31]
      view.dims[rng.below(view.dims.count)] = large[rng.below(large.count)]
      if rng.below(2) == 0 {
        if view.dims.count == 1 { view.dims.append(1) }
        view.dims[rng.below(view.dims.count)] = large[rng.below(large.count)]
      }
      guard let count = Window2D.checkedProduct(view.dims) else { return }
      let views = plan.steps.flatMap { $0.inputs + [$0.output] } + step.inputs + [step.output]
      let furthest = views.map { $0.base &+ $0.itemStride }.max() ?? 0
      guard furthest >= 0, furthest < 1 << 36, count < 1 << 36 else { return }
      (view.base, view.itemStride, view.inner) = (furthest, count, 0)
      plan.arenaFloatsPerItem = (furthest + count + 15) / 16 * 16
      if operand < step.inputs.count { step.inputs[operand] = view } else { step.output = view }
    }
    let input = step.inputs.first?.dims ?? []
    let output = step.output.dims
    let inCount = Window2D.checkedProduct(input) ?? 0, outCount = Window2D.checkedProduct(output) ?? 0
    switch step.kernel {
    case .dense(var d):
      (d.inFeatures, d.outFeatures) = (inCount, outCount)
      step.kernel = .dense(d)
    case .conv(var c) where input.count == 3 && output.count == 3:
      (c.geometry.inChannels, c.geometry.inHeight, c.geometry.inWidth) = (input[0], input[1], input[2])
      c.geometry.outChannels = output[0]
      step.kernel = .conv(c)
    case .pool(var p) where input.count == 3 && output.count == 3:
      (p.geometry.channels, p.geometry.inHeight, p.geometry.inWidth) = (input[0], input[1], input[2])
      (p.geometry.outHeight, p.geometry.outWidth) = (output[1], output[2])
      step.kernel = .pool(p)
    case .binary(var b):
      b.leftDims = input
      if step.inputs.count > 1 { b.rightDims = step.inputs[1].dims }
      step.kernel = .binary(b)
    default: break
    }
    plan.steps[s] = step
  }

  /// Hostile values in two or three parameters of one kernel at once: a product overflows
  /// only when several of its factors are large together.
  mutating func kernelBurst(_ plan: inout Plan) {
    guard !plan.steps.isEmpty else { return }
    let s = rng.below(plan.steps.count)
    var n = 0
    IntSlots.kernel(&plan.steps[s].kernel) { _ in n += 1 }
    guard n > 0 else { return }
    for _ in 0...(1 + rng.below(2)) {
      let target = rng.below(n)
      var i = 0
      var values: [Int] = []
      IntSlots.kernel(&plan.steps[s].kernel) { v in
        if i == target { values.append(v) }
        i += 1
      }
      let new = value(near: values.first ?? 0)
      i = 0
      IntSlots.kernel(&plan.steps[s].kernel) { v in
        if i == target { v = new }
        i += 1
      }
    }
  }

  /// Removes, repeats or reorders steps and bindings.
  mutating func structural(_ plan: inout Plan) {
    let n = plan.steps.count
    switch rng.below(6) {
    case 0 where n > 0: plan.steps.remove(at: rng.below(n))
    case 1 where n > 0: plan.steps.insert(plan.steps[rng.below(n)], at: rng.below(n + 1))
    case 2 where n > 1: plan.steps.swapAt(rng.below(n), rng.below(n))
    case 3 where n > 0:
      let i = rng.below(n)
      if rng.below(2) == 0, !plan.steps[i].inputs.isEmpty { plan.steps[i].inputs.removeLast() } else { plan.steps[i].inputs.append(plan.steps[i].output) }
    case 4 where !plan.inputs.isEmpty:
      if rng.below(2) == 0 { plan.inputs[0].view.dims.append(Self.hostile[rng.below(Self.hostile.count)]) } else { plan.inputs[0].view.dims.removeAll() }
    case 5 where !plan.outputs.isEmpty:
      // Another element type, or an integer constant that no longer fits its shape or type.
      let o = rng.below(plan.outputs.count)
      switch rng.below(3) {
      case 0: plan.outputs[o].elementType = ElementType.allCases[rng.below(ElementType.allCases.count)]
      case 1: plan.outputs[o].constant = (plan.outputs[o].constant ?? []) + [Int64(Self.hostile[rng.below(Self.hostile.count)])]
      default: plan.outputs[o] = .constant(name: plan.outputs[o].name, shape: [rng.below(4) + 1], elementType: .int32, values: [1 << 40])
      }
    default: break
    }
  }

  /// Writes a hostile value, 1, 4 or 8 bytes wide, at a random offset past the header (fields
  /// the Plan type cannot express: section table entries, string lengths, tags, list counts).
  mutating func overwriteField(_ bytes: inout [UInt8]) {
    guard bytes.count > 64 else { return }
    let width = [1, 4, 8][rng.below(3)]
    let at = rng.below(2) == 0 ? 8 + rng.below(56) : 64 + rng.below(bytes.count - 64)
    guard at + width <= bytes.count else { return }
    let old = Int(bitPattern: UInt(Self.u64(bytes + [UInt8](repeating: 0, count: 8), at: at)))
    Self.put(UInt64(bitPattern: Int64(value(near: old))), into: &bytes, at: at, width: width)
  }

  /// Sets the header's file size and checksum to match the bytes (leaving magic and version).
  static func fixHeader(_ bytes: inout [UInt8]) {
    guard bytes.count >= 64 else { return }
    put(UInt64(bytes.count), into: &bytes, at: 16, width: 8)
    let sum = bytes.withUnsafeBytes { PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[64...])) }
    put(sum, into: &bytes, at: 24, width: 8)
  }

  static func u64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
  }

  static func put(_ v: UInt64, into bytes: inout [UInt8], at offset: Int, width: Int) {
    for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
  }
}

enum PlanMutatorLayout {
  /// Header (64 bytes), then the first section-table entry's kind and zero (8 bytes), then its offset.
  static let firstSectionOffset = 72
}

/// A small seeded generator (the mutator must be deterministic in libFuzzer's seed).
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
