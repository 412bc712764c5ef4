/// Decodes and validates `plan.bin` bytes. Every offset, size and count is
/// checked before use, so a corrupt or hostile file is an error, never a trap.
public enum PlanReader {
  /// The plan and the byte offset of its weights section within `bytes`.
  /// - Throws: ``PlanError/format(_:)`` for bytes that are not a valid plan (truncated, bad
  ///   checksum, inconsistent parts), ``PlanError/unsupported(_:)`` for another format version.
  public static func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws -> (plan: Plan, weightsOffset: Int) {
    let (plan, weightsOffset) = try decodeUnvalidated(bytes, source: source)
    try plan.validate(source: source)
    return (plan, weightsOffset)
  }

  /// Decodes the file's structure (header, checksum, sections, fields) without
  /// ``Plan/validate(source:)``: for the fuzzer's plan mutator, which edits decoded plans.
  package static func decodeUnvalidated(_ bytes: UnsafeRawBufferPointer, source: String) throws -> (plan: Plan, weightsOffset: Int) {
    guard bytes.count >= PlanFormat.headerSize else {
      throw PlanError.format("\(source): not a plan file (only \(bytes.count) bytes)")
    }
    guard Array(bytes[0..<8]) == PlanFormat.magic else {
      throw PlanError.format("\(source): not a plan file (wrong magic; expected \"GRPHPLAN\")")
    }
    var header = ByteReader(bytes, from: 8, to: PlanFormat.headerSize, context: source)
    let version = try header.u32()
    guard version == PlanFormat.version else {
      let advice = version < PlanFormat.version
        ? "it was written by an older graphc: recompile the model with this one (graphc compile MODEL -o PLAN)"
        : "it was written by a newer graphc: run it with that release's runtime, or recompile the model with this graphc"
      throw PlanError.unsupported(
        "\(source): plan format version \(version) is not supported (this runtime reads version \(PlanFormat.version)); \(advice)")
    }
    let sectionCount = Int(try header.u32())
    let fileSize = try header.int()
    let checksum = try header.u64()
    guard fileSize == bytes.count else {
      throw PlanError.format("\(source): plan is \(bytes.count) bytes but its header says \(fileSize) (truncated?)")
    }
    guard PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: bytes[PlanFormat.headerSize...])) == checksum else {
      throw PlanError.format("\(source): checksum mismatch, the plan file is corrupted")
    }
    guard sectionCount <= 16 else { throw PlanError.format("\(source): implausible section count \(sectionCount)") }

    var table = ByteReader(bytes, from: PlanFormat.headerSize, context: "\(source) section table")
    var sections: [PlanFormat.Section: Range<Int>] = [:]
    for _ in 0..<sectionCount {
      let kind = try table.u32()
      _ = try table.u32()
      let offset = try table.int()
      let size = try table.int()
      guard offset <= bytes.count, size <= bytes.count - offset else {
        throw PlanError.format("\(source): section \(kind) lies outside the file")
      }
      if let known = PlanFormat.Section(rawValue: kind) { sections[known] = offset..<(offset + size) }
    }
    let missing = PlanFormat.Section.allCases.filter { sections[$0] == nil }
    guard missing.isEmpty, let meta = sections[.metadata], let stepRange = sections[.steps], let weightRange = sections[.weights],
      let provenanceRange = sections[.provenance]
    else {
      throw PlanError.format("\(source): required section\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)" }.joined(separator: ", ")) missing")
    }
    guard weightRange.lowerBound % 64 == 0 else { throw PlanError.format("\(source): weights section is not 64-byte aligned") }

    var m = ByteReader(bytes, from: meta.lowerBound, to: meta.upperBound, context: "\(source) metadata")
    let batch = try m.int()
    let arena = try m.int()
    let fixedArena = try m.int()
    let weightCount = try m.int()
    guard weightCount * 4 == weightRange.count else {
      throw PlanError.format("\(source): weights section holds \(weightRange.count) bytes, metadata says \(weightCount) floats")
    }
    var lists: [[TensorBinding]] = []
    for _ in 0..<2 {
      let n = Int(try m.u32())
      guard n <= 1024 else { throw PlanError.format("\(source): implausible tensor count \(n)") }
      lists.append(try (0..<n).map { _ in try m.binding() })
    }

    var s = ByteReader(bytes, from: stepRange.lowerBound, to: stepRange.upperBound, context: "\(source) steps")
    let stepCount = Int(try s.u32())
    guard stepCount <= stepRange.count else { throw PlanError.format("\(source): implausible step count \(stepCount)") }
    var steps: [Step] = []
    steps.reserveCapacity(stepCount)
    for _ in 0..<stepCount {
      let name = try s.string()
      let absorbedCount = Int(try s.u32())
      guard absorbedCount <= 64 else { throw PlanError.format("\(source): step '\(name)' absorbs \(absorbedCount) nodes?") }
      let absorbed = try (0..<absorbedCount).map { _ in try s.string() }
      let kernel = try s.kernel()
      let inputCount = Int(try s.u32())
      guard inputCount <= 8 else { throw PlanError.format("\(source): step '\(name)' has \(inputCount) inputs?") }
      let inputs = try (0..<inputCount).map { _ in try s.view() }
      steps.append(Step(name: name, absorbed: absorbed, kernel: kernel, inputs: inputs, output: try s.view()))
    }

    var p = ByteReader(bytes, from: provenanceRange.lowerBound, to: provenanceRange.upperBound, context: "\(source) provenance")
    let provenance = PlanProvenance(compilerVersion: try p.string(), modelFile: try p.string(), modelSHA256: try p.string())

    let plan = Plan(
      fixedBatch: batch == 0 ? nil : batch, arenaFloatsPerItem: arena, arenaFixedFloats: fixedArena,
      inputs: lists[0], outputs: lists[1], steps: steps, weightCount: weightCount, provenance: provenance)
    return (plan, weightRange.lowerBound)
  }
}

extension ByteReader {
  mutating func view() throws -> View {
    View(base: try int(), itemStride: try int(), inner: try int(), dims: try ints(), items: try int())
  }

  /// A binding: name, view, optional shape, element type, and for an integer output whether it is
  /// a constant, with its values. A shape with a 0 is an empty tensor's, a constant of no values
  /// (for an integer type, the values the file lists: validation refuses any).
  mutating func binding() throws -> TensorBinding {
    let name = try string(), view = try view(), shape = try bool() ? try ints() : nil
    let tag = try u8()
    guard let type = ElementType(rawValue: tag) else {
      throw PlanError.format("\(context): '\(name)' has unknown element type \(tag) at offset \(position - 1)")
    }
    let constant = type.isInteger ? try bool() : shape?.contains(0) == true
    return TensorBinding(name: name, view: view, shape: shape, elementType: type, constant: constant ? (type.isInteger ? try integers() : []) : nil)
  }

  /// A constant integer output's values, as many as the bytes left in the section hold.
  mutating func integers() throws -> [Int64] {
    let n = Int(try u32())
    guard n <= (end - position) / 8 else { throw PlanError.format("\(context): truncated (\(n) integer values at offset \(position))") }
    return try (0..<n).map { _ in Int64(bitPattern: try u64()) }
  }

  mutating func weight() throws -> WeightRef { WeightRef(offset: try int(), count: try int()) }

  mutating func optionalWeight() throws -> WeightRef? { try bool() ? try weight() : nil }
}
