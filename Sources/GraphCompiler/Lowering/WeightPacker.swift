import GraphPlan

/// Collects the plan's constants into one array, each starting on a 64-byte boundary.
struct WeightPacker {
  private(set) var data: [Float] = []

  /// Reserves room for about `count` floats, so packing big networks does not regrow the array.
  mutating func reserve(_ count: Int) { data.reserveCapacity(count) }

  mutating func add(_ values: some Collection<Float>) -> WeightRef {
    while data.count % 16 != 0 { data.append(0) }
    let ref = WeightRef(offset: data.count, count: values.count)
    data.append(contentsOf: values)
    return ref
  }
}
