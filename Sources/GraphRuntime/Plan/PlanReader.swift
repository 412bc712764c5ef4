/// Decodes and validates `plan.bin` bytes. Every offset, size and count is
/// checked before use, so a corrupt or hostile file is an error, never a trap.
enum PlanReader {
  /// The plan and the byte offset of its weights section within `bytes`.
  static func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws -> (plan: Plan, weightsOffset: Int) {
    guard bytes.count >= PlanFormat.headerSize else {
      throw RuntimeError("\(source): not a plan file (only \(bytes.count) bytes)")
    }
    guard Array(bytes[0..<8]) == PlanFormat.magic else {
      throw RuntimeError("\(source): not a plan file (wrong magic; expected \"GRPHPLAN\")")
    }
    var header = ByteReader(bytes, from: 8, to: PlanFormat.headerSize, context: source)
    let version = try header.u32()
    guard version == PlanFormat.version else {
      throw RuntimeError("\(source): plan format version \(version) is not supported (this runtime reads version \(PlanFormat.version))")
    }
    let sectionCount = Int(try header.u32())
    let fileSize = try header.int()
    let checksum = try header.u64()
    guard fileSize == bytes.count else {
      throw RuntimeError("\(source): plan is \(bytes.count) bytes but its header says \(fileSize) (truncated?)")
    }
    guard PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: bytes[PlanFormat.headerSize...])) == checksum else {
      throw RuntimeError("\(source): checksum mismatch, the plan file is corrupted")
    }
    guard sectionCount <= 16 else { throw RuntimeError("\(source): implausible section count \(sectionCount)") }

    var table = ByteReader(bytes, from: PlanFormat.headerSize, context: "\(source) section table")
    var sections: [PlanFormat.Section: Range<Int>] = [:]
    for _ in 0..<sectionCount {
      let kind = try table.u32()
      _ = try table.u32()
      let offset = try table.int()
      let size = try table.int()
      guard offset <= bytes.count, size <= bytes.count - offset else {
        throw RuntimeError("\(source): section \(kind) lies outside the file")
      }
      if let known = PlanFormat.Section(rawValue: kind) { sections[known] = offset..<(offset + size) }
    }
    guard let meta = sections[.metadata], let stepRange = sections[.steps], let weightRange = sections[.weights] else {
      throw RuntimeError("\(source): a required section is missing")
    }
    guard weightRange.lowerBound % 64 == 0 else { throw RuntimeError("\(source): weights section is not 64-byte aligned") }

    var m = ByteReader(bytes, from: meta.lowerBound, to: meta.upperBound, context: "\(source) metadata")
    let batch = try m.int()
    let arena = try m.int()
    let weightCount = try m.int()
    guard weightCount * 4 == weightRange.count else {
      throw RuntimeError("\(source): weights section holds \(weightRange.count) bytes, metadata says \(weightCount) floats")
    }
    var lists: [[TensorBinding]] = []
    for _ in 0..<2 {
      let n = Int(try m.u32())
      guard n <= 1024 else { throw RuntimeError("\(source): implausible tensor count \(n)") }
      lists.append(try (0..<n).map { _ in TensorBinding(name: try m.string(), view: try m.view()) })
    }

    var s = ByteReader(bytes, from: stepRange.lowerBound, to: stepRange.upperBound, context: "\(source) steps")
    let stepCount = Int(try s.u32())
    guard stepCount <= stepRange.count else { throw RuntimeError("\(source): implausible step count \(stepCount)") }
    var steps: [Step] = []
    steps.reserveCapacity(stepCount)
    for _ in 0..<stepCount {
      let name = try s.string()
      let absorbedCount = Int(try s.u32())
      guard absorbedCount <= 64 else { throw RuntimeError("\(source): step '\(name)' absorbs \(absorbedCount) nodes?") }
      let absorbed = try (0..<absorbedCount).map { _ in try s.string() }
      let kernel = try s.kernel()
      let inputCount = Int(try s.u32())
      guard inputCount <= 8 else { throw RuntimeError("\(source): step '\(name)' has \(inputCount) inputs?") }
      let inputs = try (0..<inputCount).map { _ in try s.view() }
      steps.append(Step(name: name, absorbed: absorbed, kernel: kernel, inputs: inputs, output: try s.view()))
    }

    let plan = Plan(
      fixedBatch: batch == 0 ? nil : batch, arenaFloatsPerItem: arena,
      inputs: lists[0], outputs: lists[1], steps: steps, weightCount: weightCount)
    try plan.validate(source: source)
    return (plan, weightRange.lowerBound)
  }
}

extension ByteReader {
  mutating func view() throws -> View {
    View(base: try int(), itemStride: try int(), inner: try int(), dims: try ints())
  }

  mutating func weight() throws -> WeightRef { WeightRef(offset: try int(), count: try int()) }

  mutating func optionalWeight() throws -> WeightRef? { try bool() ? try weight() : nil }

  mutating func activation() throws -> Activation {
    switch try u8() {
    case 0: return .none
    case 1: return .relu
    case 2: return .clip(min: try float(), max: try float())
    case let t: throw RuntimeError("\(context): unknown activation \(t)")
    }
  }

  mutating func poolKind() throws -> PoolKind {
    switch try u8() {
    case 0: return .max
    case 1: return .average
    case let t: throw RuntimeError("\(context): unknown pool kind \(t)")
    }
  }

  mutating func kernel() throws -> Kernel {
    let tag = try u8()
    switch KernelTag(rawValue: tag) {
    case .conv:
      let v = try ints()
      guard v.count == 17 else { throw RuntimeError("\(context): conv step has \(v.count) parameters") }
      let geometry = Conv2DGeometry(
        inChannels: v[0], inHeight: v[1], inWidth: v[2], outChannels: v[3],
        kernelHeight: v[6], kernelWidth: v[7], strideHeight: v[8], strideWidth: v[9],
        padTop: v[10], padLeft: v[11], padBottom: v[12], padRight: v[13],
        dilationHeight: v[14], dilationWidth: v[15], groups: v[16])
      // The output size is stored for readers of the format; here it must match the geometry.
      do { try geometry.validate() } catch let e as RuntimeError { throw RuntimeError("\(context): \(e.message)") }
      guard geometry.outHeight == v[4], geometry.outWidth == v[5] else {
        throw RuntimeError("\(context): conv output \(v[4])x\(v[5]) does not match its geometry (\(geometry.outHeight)x\(geometry.outWidth))")
      }
      return .conv(Convolution(
        geometry: geometry, weights: try weight(), bias: try optionalWeight(), residual: try bool(), activation: try activation()))
    case .pool:
      let kind = try poolKind()
      let v = try ints()
      guard v.count == 15 else { throw RuntimeError("\(context): pool step has \(v.count) parameters") }
      let geometry = Pool2DGeometry(
        channels: v[0], inHeight: v[1], inWidth: v[2], outHeight: v[3], outWidth: v[4],
        kernelHeight: v[5], kernelWidth: v[6], strideHeight: v[7], strideWidth: v[8],
        padTop: v[9], padLeft: v[10], padBottom: v[11], padRight: v[12],
        dilationHeight: v[13], dilationWidth: v[14])
      return .pool(Pooling(kind: kind, geometry: geometry, countIncludePad: try bool()))
    case .globalPool:
      return .globalPool(try poolKind())
    case .dense:
      return .dense(Dense(
        inFeatures: try int(), outFeatures: try int(), weights: try weight(), bias: try optionalWeight(),
        activation: try activation()))
    case .binary:
      let tag = Int(try u8())
      guard tag < BinaryTag.ops.count else { throw RuntimeError("\(context): unknown binary op \(tag)") }
      let op = BinaryTag.ops[tag]
      return .binary(Binary(
        op: op, leftDims: try ints(), rightDims: try ints(), constant: try optionalWeight(),
        constantIsLeft: try bool(), activation: try activation()))
    case .channelAffine:
      return .channelAffine(scale: try weight(), shift: try weight(), activation: try activation())
    case .activation:
      return .activation(try activation())
    case .lrn:
      return .lrn(size: try int(), alpha: try float(), beta: try float(), bias: try float())
    case .softmax:
      return .softmax(axis: try int())
    case .transpose:
      return .transpose(perm: try ints())
    case .copy:
      return .copy
    case nil:
      throw RuntimeError("\(context): unknown kernel tag \(tag)")
    }
  }
}
