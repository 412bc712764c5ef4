import GraphPlan

/// Ops that work on lanes along one axis (Hardmax, TopK) run kernels over rows: the axis is moved
/// last by a transpose, and their results moved back by the inverse one.
extension LoweringContext {
  /// Input 0 with per-item axis `axis` (the batch not counted) last: the value, its dims, and the
  /// permutation a transpose step applied (nil when the axis was last already).
  func movingAxisLast(_ axis: Int) -> (value: String, dims: [Int], perm: [Int]?) {
    let dims = self.dims(x)
    guard axis < dims.count - 1 else { return (x, dims, nil) }
    let perm = (0..<dims.count).filter { $0 != axis } + [axis]
    let moved = output + "#axis-last"
    newValue(moved, dims: perm.map { dims[$0] })
    emit(.transpose(perm: perm), inputs: [x], output: moved)
    return (moved, perm.map { dims[$0] }, perm)
  }

  /// Puts `source`, laid out as `dims` (the axis last), into `output` in the input's axis order:
  /// a transpose by the inverse of `perm`, or a view when nothing moved.
  func movingAxisBack(from source: String, dims: [Int], perm: [Int]?, into output: String) {
    guard let perm else { return alias(output, .view(of: source)) }
    let inverse = (0..<perm.count).map { perm.firstIndex(of: $0)! }
    emit(.transpose(perm: inverse), inputs: [view(of: source, dims: dims)], output: output)
  }
}
