extension Plan {
  /// The plan and its weights as `plan.bin` bytes. The same plan always gives the same bytes.
  /// - Throws: ``PlanError/shape(_:)`` when `weights` is not the plan's ``weightCount`` floats.
  public func serialized(weights: [Float]) throws(PlanError) -> [UInt8] {
    guard weights.count == weightCount else { throw .shape("plan expects \(weightCount) weights, got \(weights.count)") }
    var metadata = ByteWriter()
    metadata.int(fixedBatch ?? 0)
    metadata.int(arenaFloatsPerItem)
    metadata.int(arenaFixedFloats)
    metadata.int(weightCount)
    for list in [inputs, outputs] {
      metadata.u32(UInt32(list.count))
      for binding in list {
        metadata.string(binding.name)
        metadata.view(binding.view)
        metadata.bool(binding.shape != nil)
        if let shape = binding.shape { metadata.ints(shape) }
        metadata.u8(binding.elementType.rawValue)
        if binding.elementType.isInteger {
          metadata.bool(binding.constant != nil)
          if let values = binding.constant { metadata.integers(values) }
        }
      }
    }

    var stepBytes = ByteWriter()
    stepBytes.u32(UInt32(steps.count))
    for step in steps {
      stepBytes.string(step.name)
      stepBytes.u32(UInt32(step.absorbed.count))
      step.absorbed.forEach { stepBytes.string($0) }
      stepBytes.kernel(step.kernel)
      stepBytes.u32(UInt32(step.inputs.count))
      step.inputs.forEach { stepBytes.view($0) }
      stepBytes.view(step.output)
    }

    // Lay the file out first, then fill one buffer: the weights are most of it
    // and are copied exactly once.
    var provenanceBytes = ByteWriter()
    provenanceBytes.string(provenance.compilerVersion)
    provenanceBytes.string(provenance.modelFile)
    provenanceBytes.string(provenance.modelSHA256)

    let small: [(PlanFormat.Section, [UInt8])] = [
      (.metadata, metadata.bytes), (.steps, stepBytes.bytes), (.provenance, provenanceBytes.bytes),
    ]
    let tableEnd = PlanFormat.headerSize + (small.count + 1) * PlanFormat.sectionEntrySize
    func aligned(_ n: Int) -> Int { (n + 63) / 64 * 64 }
    var table: [(PlanFormat.Section, Int, Int)] = []
    var cursor = aligned(tableEnd)
    for (kind, bytes) in small {
      table.append((kind, cursor, bytes.count))
      cursor = aligned(cursor + bytes.count)
    }
    table.append((.weights, cursor, weights.count * 4))
    let fileSize = cursor + weights.count * 4

    var file = [UInt8](repeating: 0, count: fileSize)
    file.withUnsafeMutableBytes { out in
      var tableBytes = ByteWriter()
      for (kind, offset, size) in table {
        tableBytes.u32(kind.rawValue)
        tableBytes.u32(0)
        tableBytes.int(offset)
        tableBytes.int(size)
      }
      out.baseAddress!.advanced(by: PlanFormat.headerSize).copyMemory(from: tableBytes.bytes, byteCount: tableBytes.bytes.count)
      for ((_, offset, _), (_, bytes)) in zip(table, small) {
        out.baseAddress!.advanced(by: offset).copyMemory(from: bytes, byteCount: bytes.count)
      }
      let weightStart = table.last!.1
      weights.withUnsafeBytes { src in
        if 1.littleEndian == 1 {
          out.baseAddress!.advanced(by: weightStart).copyMemory(from: src.baseAddress!, byteCount: src.count)
        } else {
          for (i, w) in weights.enumerated() { out.storeBytes(of: w.bitPattern.littleEndian, toByteOffset: weightStart + i * 4, as: UInt32.self) }
        }
      }
      var header = ByteWriter()
      header.append(PlanFormat.magic)
      header.u32(PlanFormat.version)
      header.u32(UInt32(table.count))
      header.int(fileSize)
      header.u64(PlanFormat.checksum(UnsafeRawBufferPointer(rebasing: out[PlanFormat.headerSize...])))
      out.baseAddress!.copyMemory(from: header.bytes, byteCount: header.bytes.count)
    }
    return file
  }
}

extension ByteWriter {
  mutating func view(_ v: View) {
    int(v.base)
    int(v.itemStride)
    int(v.inner)
    ints(v.dims)
    int(v.items)
  }

  /// A constant integer output's values: `u32` count, then 8-byte signed values.
  mutating func integers(_ v: [Int64]) {
    u32(UInt32(v.count))
    v.forEach { u64(UInt64(bitPattern: $0)) }
  }

  mutating func weight(_ w: WeightRef) {
    int(w.offset)
    int(w.count)
  }

  mutating func optionalWeight(_ w: WeightRef?) {
    bool(w != nil)
    if let w { weight(w) }
  }
}
