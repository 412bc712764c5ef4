import GraphPlan

extension WindowND {
  /// Where a tap's input row starts: the N-D kernels go along the last axis in runs, so they
  /// number output rows and window taps row-major over the other axes. Returns the offset
  /// (in floats) of the input row that outer tap `outerTap` of output row `outputRow` reads,
  /// or nil when it lies in the padding.
  @inline(__always)
  func inputRowOffset(outputRow: Int, outerTap: Int, inSizes: [Int], outSizes: [Int]) -> Int? {
    let last = rank - 1
    var offset = 0, scale = inSizes[last], outputRest = outputRow, tapRest = outerTap
    for i in stride(from: last - 1, through: 0, by: -1) {
      let y = (outputRest % outSizes[i]) * strides[i] - padsBegin[i] + (tapRest % kernel[i]) * dilations[i]
      if y < 0 || y >= inSizes[i] { return nil }
      outputRest /= outSizes[i]
      tapRest /= kernel[i]
      offset += y * scale
      scale *= inSizes[i]
    }
    return offset
  }
}
