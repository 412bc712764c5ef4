// Depthwise convolution's inner loops, compiled once per instruction set like MicroKernels.swift
// (KernelsGeneric and KernelsSkylakeX link this file). Each input plane is first copied into a
// zero-padded plane (DepthwisePadding.swift), so every output column takes the same vector
// path and a whole plane is one call (a call per row cost more than the row itself on 7x7 and
// 14x14 planes). Since the 16-channel kernel (DepthwiseChannelBlocks.swift) took the small and
// the strided convs, this one runs stride-1 convs over planes larger than 28x28, and any conv
// whose padded rows are too wide for that kernel's ring.

/// Where `depthwisePlane` finds its taps in the padded plane: output row `oy`'s kernel row
/// `ky` starts at `oy * rowStride + ky * tapRowStride` floats into the plane (the vertical
/// stride and dilation in whole padded rows), and tap `kx` of output column `x` is
/// `columnOffsets[kx] + x` further.
public typealias DepthwisePlaneShape = (
  rowStride: Int, tapRowStride: Int, kernelHeight: Int, kernelWidth: Int, outHeight: Int, outWidth: Int
)

/// One output plane of a depthwise convolution, a row at a time, with the epilogue fused:
/// `output[oy * outWidth + x] = clamp(sum + bias + residual[...], lower, upper)`, where `sum`
/// adds `weights[ky * kernelWidth + kx] * tap(ky, kx)` over `ky`, then `kx`, in order (each
/// product a fused multiply-add where the CPU has FMA). Rows up to 8 wide take 8-lane vectors,
/// wider ones 16 (the same sums lane by lane, so the same bits).
///
/// The input plane `source` is first copied into `scratch` as a ``PaddedRows`` plane (`padding`;
/// `scratch` holds its `scratchFloats`), which holds every row a tap reaches (zeros outside the
/// image) and each row readable `columnOffsets[k] + outWidth` rounded up to the vector's 8 or
/// 16 floats, so no column needs a border path. The clamp is written as comparisons
/// (`v < lower ? lower : v`, then the same with `upper`), so NaN passes through and lower >
/// upper gives `upper`, as ONNX's Clip does.
///
/// No store is a `memcpy` call (one per row cost as much as a 7-wide row's taps). Without a
/// residual, a row's last partial vector is computed again ending at the row's last column
/// (each column's sum is the same whichever vector holds it), and a row narrower than one
/// vector is stored whole when the plane goes on past it (its extra lanes land on the rows
/// after it, which overwrite them). With a residual, which may share memory with the output,
/// and at the end of the plane, a partial vector is stored lane-exact in pieces.
public func depthwisePlane(
  source: UnsafePointer<Float>, padding: DepthwisePadding, scratch: UnsafeMutablePointer<Float>,
  shape: DepthwisePlaneShape, weights: UnsafePointer<Float>, columnOffsets: UnsafePointer<Int>,
  bias: Float, residual: UnsafePointer<Float>?, lower: Float, upper: Float, output: UnsafeMutablePointer<Float>
) {
  PaddedRows(padding).pad(plane: source, into: scratch)
  let p = PlaneArguments(
    input: scratch, shape: shape, weights: weights, columnOffsets: columnOffsets, bias: bias, residual: residual,
    lower: lower, upper: upper, output: output)
  // Kernel sizes as types, so that each common one gets a specialized plane with its taps unrolled.
  switch (shape.kernelHeight, shape.kernelWidth, shape.outWidth <= 8) {
  case (3, 3, true): plane(SIMD8<Float>.self, Taps3.self, p)
  case (3, 3, false): plane(SIMD16<Float>.self, Taps3.self, p)
  case (5, 5, true): plane(SIMD8<Float>.self, Taps5.self, p)
  case (5, 5, false): plane(SIMD16<Float>.self, Taps5.self, p)
  case (7, 7, true): plane(SIMD8<Float>.self, Taps7.self, p)
  case (7, 7, false): plane(SIMD16<Float>.self, Taps7.self, p)
  case (_, _, true): plane(SIMD8<Float>.self, AnyTaps.self, p)
  case (_, _, false): plane(SIMD16<Float>.self, AnyTaps.self, p)
  }
}

/// A square kernel's side known at compile time, or nil for the shape's own sizes.
protocol TapCount { static var side: Int? { get } }
enum Taps3: TapCount { static var side: Int? { 3 } }
enum Taps5: TapCount { static var side: Int? { 5 } }
enum Taps7: TapCount { static var side: Int? { 7 } }
enum AnyTaps: TapCount { static var side: Int? { nil } }

private struct PlaneArguments {
  let input: UnsafePointer<Float>, shape: DepthwisePlaneShape, weights: UnsafePointer<Float>, columnOffsets: UnsafePointer<Int>
  let bias: Float, residual: UnsafePointer<Float>?, lower: Float, upper: Float, output: UnsafeMutablePointer<Float>
}

/// Output rows four at a time: each output's taps are one chain of dependent multiply-adds, so
/// one row at a time waited on their latency (a 7- or 14-wide row is one vector); four rows
/// keep four chains in flight. A group past the last row repeats that row and stores nothing.
@inline(__always)
private func plane<V: KernelVector, K: TapCount>(_: V.Type, _: K.Type, _ p: PlaneArguments) {
  let (rowStride, tapRowStride, _, _, outHeight, outWidth) = p.shape
  let kernelHeight = K.side ?? p.shape.kernelHeight, kernelWidth = K.side ?? p.shape.kernelWidth
  let lanes = V.scalarCount
  for oy in stride(from: 0, to: outHeight, by: 4) {
    let rows = min(4, outHeight - oy)
    let top0 = p.input + oy * rowStride
    let top1 = top0 + min(1, rows - 1) * rowStride, top2 = top0 + min(2, rows - 1) * rowStride
    let top3 = top0 + min(3, rows - 1) * rowStride
    var x = 0
    while x < outWidth {
      // The last partial vector of a row of several ends at the row's end instead.
      if x + lanes > outWidth && x > 0 && p.residual == nil { x = outWidth - lanes }
      var (s0, s1, s2, s3) = (V.zero, V.zero, V.zero, V.zero)
      for ky in 0..<kernelHeight {
        let offset = (ky * tapRowStride + x) * 4
        let (r0, r1) = (UnsafeRawPointer(top0) + offset, UnsafeRawPointer(top1) + offset)
        let (r2, r3) = (UnsafeRawPointer(top2) + offset, UnsafeRawPointer(top3) + offset)
        for kx in 0..<kernelWidth {
          let w = p.weights[ky * kernelWidth + kx], column = p.columnOffsets[kx] * 4
          s0 = s0.addingTap(V.load(r0 + column), w)
          s1 = s1.addingTap(V.load(r1 + column), w)
          s2 = s2.addingTap(V.load(r2 + column), w)
          s3 = s3.addingTap(V.load(r3 + column), w)
        }
      }
      store(s0, row: oy, x: x, lanes: lanes, p)
      if rows > 1 { store(s1, row: oy + 1, x: x, lanes: lanes, p) }
      if rows > 2 { store(s2, row: oy + 2, x: x, lanes: lanes, p) }
      if rows > 3 { store(s3, row: oy + 3, x: x, lanes: lanes, p) }
      x += lanes
    }
  }
}

/// Finishes output row `row`'s vector at column `x` and stores it.
@inline(__always)
private func store<V: KernelVector>(_ sum: V, row: Int, x: Int, lanes: Int, _ p: PlaneArguments) {
  let (outHeight, outWidth) = (p.shape.outHeight, p.shape.outWidth)
  let out = p.output + row * outWidth + x
  let n = min(lanes, outWidth - x)
  let added = p.residual.map { r in
    let residual = r + row * outWidth + x
    return n == lanes ? V.load(UnsafeRawPointer(residual)) : V.zeroPadded(residual, n)
  }
  let value = sum.finished(bias: p.bias, residual: added, lower: p.lower, upper: p.upper)
  // A row of one partial vector may store it whole: its extra lanes land on the rows after it,
  // stored later, but not past the plane. (Rows of several vectors are stored vector by vector
  // across a group of rows, so a later row may already hold its first vector.)
  if n == lanes || (p.residual == nil && x == 0 && (row * outWidth + lanes <= outHeight * outWidth)) {
    UnsafeMutableRawPointer(out).storeBytes(of: value, as: V.self)
  } else {
    value.storePrefix(n, to: out)
  }
}
