import GraphPlan

/// How ``Kernels/binary(_:_:a:b:output:pool:)`` walks a NumPy broadcast of two operands (and
/// ``Kernels/select(_:condition:x:y:output:pool:)`` one of three): as rows.
/// Neighbouring dimensions that both operands read alike (both contiguous across them, or both
/// broadcast) are merged, so the innermost row is as long as it can be (a squeeze-excitation gate
/// `[N, C, 1, 1] * [N, C, H, W]` becomes `N * C` rows of `H * W` against one gate value each), and
/// each row reads each operand with a fixed stride (0 or 1).
///
/// Depends on the shapes alone, so a session works it out once per binary step when the model
/// loads: the arrays here would otherwise be allocated on every run.
package struct BroadcastRows: Sendable {
  /// The broadcast (output) shape.
  package let shape: [Int]
  /// The merged dimensions (the last is the row), and each operand's element strides along them
  /// (`cStrides` all 0 for two operands).
  let merged: [Int], aStrides: [Int], bStrides: [Int], cStrides: [Int]
  /// Elements in all, in a row, and rows.
  let count: Int, rowLength: Int, rows: Int

  /// The layout of `a op b`, or of a three-operand step such as select when `cShape` is given,
  /// for operands of these shapes (ranks up to 6).
  /// - Throws: ``RuntimeError/shape(_:)`` when they do not broadcast or a rank is above 6.
  package init(_ aShape: [Int], _ bShape: [Int], _ cShape: [Int]? = nil) throws(RuntimeError) {
    let shapes = [aShape, bShape] + (cShape.map { [$0] } ?? [])
    guard shapes.allSatisfy({ $0.count <= 6 }) else {
      throw .shape("rank above 6 (\(shapes.map { "\($0)" }.joined(separator: ", ")))")
    }
    guard let shape = shapes.dropFirst().reduce(Optional(aShape), { s, next in s.flatMap { Broadcast.shape($0, next) } }) else {
      throw .shape("cannot broadcast shapes \(shapes.map { "\($0)" }.joined(separator: " and "))")
    }
    self.shape = shape
    // Scalars (rank 0, e.g. one value per batch item) run as one element of rank 1: the row
    // merging needs a last dimension.
    let full = shape.isEmpty ? [1] : shape
    let (fullA, fullB) = (Broadcast.strides(aShape, to: full), Broadcast.strides(bShape, to: full))
    let fullC = cShape.map { Broadcast.strides($0, to: full) } ?? Array(repeating: 0, count: full.count)
    // Merge dimension d into the one after it while every operand continues across the boundary.
    var merged = [full.last!], aStrides = [fullA.last!], bStrides = [fullB.last!], cStrides = [fullC.last!]
    for d in stride(from: full.count - 2, through: 0, by: -1) {
      let n = merged[0]
      if fullA[d] == aStrides[0] * n && fullB[d] == bStrides[0] * n && fullC[d] == cStrides[0] * n {
        merged[0] *= full[d]
      } else {
        merged.insert(full[d], at: 0)
        aStrides.insert(fullA[d], at: 0)
        bStrides.insert(fullB[d], at: 0)
        cStrides.insert(fullC[d], at: 0)
      }
    }
    (self.merged, self.aStrides, self.bStrides, self.cStrides) = (merged, aStrides, bStrides, cStrides)
    count = merged.reduce(1, *)
    rowLength = merged.last!
    rows = rowLength == 0 ? 0 : count / rowLength
  }

  /// Where row `row` reads its operands: flat offsets into each.
  @inline(__always)
  func offsets(ofRow row: Int) -> (a: Int, b: Int, c: Int) {
    var rest = row, a = 0, b = 0, c = 0
    for d in stride(from: merged.count - 2, through: 0, by: -1) {
      let coordinate = rest % merged[d]
      rest /= merged[d]
      a += coordinate * aStrides[d]
      b += coordinate * bStrides[d]
      c += coordinate * cStrides[d]
    }
    return (a, b, c)
  }
}
