// Depthwise convolution's inner loops, compiled once per instruction set like MicroKernels.swift
// (KernelsGeneric and KernelsSkylakeX link this file). GraphRuntime's DepthwiseConv.swift
// copies each input plane into a zero-padded plane, so every output column takes the same
// vector path and a whole plane is one call (a call per row cost more than the row itself
// on 7x7 and 14x14 planes).

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
/// The padded plane holds every row a tap reaches (zeros outside the image) and each row is
/// readable `columnOffsets[k] + outWidth` rounded up to the vector's 8 or 16 floats, so no
/// column needs a border path. The clamp is written as comparisons (`v < lower ? lower : v`, then the same with
/// `upper`), so NaN passes through and lower > upper gives `upper`, as ONNX's Clip does.
///
/// Without a residual, a row's last vector is stored whole when the plane goes on past it: its
/// extra lanes land on the rows after it, which overwrite them (a partial store is a `memcpy`
/// call). With a residual, which may share memory with the output, every row's last
/// vector is stored lane-exact.
public func depthwisePlane(
  input: UnsafePointer<Float>, shape: DepthwisePlaneShape, weights: UnsafePointer<Float>, columnOffsets: UnsafePointer<Int>,
  bias: Float, residual: UnsafePointer<Float>?, lower: Float, upper: Float, output: UnsafeMutablePointer<Float>
) {
  let p = PlaneArguments(
    input: input, shape: shape, weights: weights, columnOffsets: columnOffsets, bias: bias, residual: residual,
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
private protocol TapCount { static var side: Int? { get } }
private enum Taps3: TapCount { static var side: Int? { 3 } }
private enum Taps5: TapCount { static var side: Int? { 5 } }
private enum Taps7: TapCount { static var side: Int? { 7 } }
private enum AnyTaps: TapCount { static var side: Int? { nil } }

private struct PlaneArguments {
  let input: UnsafePointer<Float>, shape: DepthwisePlaneShape, weights: UnsafePointer<Float>, columnOffsets: UnsafePointer<Int>
  let bias: Float, residual: UnsafePointer<Float>?, lower: Float, upper: Float, output: UnsafeMutablePointer<Float>
}

@inline(__always)
private func plane<V: DepthwiseVector, K: TapCount>(_: V.Type, _: K.Type, _ p: PlaneArguments) {
  let (rowStride, tapRowStride, _, _, outHeight, outWidth) = p.shape
  let kernelHeight = K.side ?? p.shape.kernelHeight, kernelWidth = K.side ?? p.shape.kernelWidth
  let lanes = V.scalarCount
  for oy in 0..<outHeight {
    let top = p.input + oy * rowStride
    let out = p.output + oy * outWidth
    let residual = p.residual.map { $0 + oy * outWidth }
    var x = 0
    while x < outWidth {
      var sum = V.zero
      for ky in 0..<kernelHeight {
        let row = UnsafeRawPointer(top + ky * tapRowStride + x)
        for kx in 0..<kernelWidth {
          sum = sum.addingTap(V.load(row + p.columnOffsets[kx] * 4), p.weights[ky * kernelWidth + kx])
        }
      }
      let n = min(lanes, outWidth - x)
      let added = residual.map { n == lanes ? V.load(UnsafeRawPointer($0 + x)) : V.zeroPadded($0 + x, n) }
      let value = sum.finished(bias: p.bias, residual: added, lower: p.lower, upper: p.upper)
      // Extra lanes may land on the rows after this one, which overwrite them, but not past the plane.
      if n == lanes || (residual == nil && (oy * outWidth + x + lanes <= outHeight * outWidth)) {
        UnsafeMutableRawPointer(out + x).storeBytes(of: value, as: V.self)
      } else {
        withUnsafeBytes(of: value) { UnsafeMutableRawPointer(out + x).copyMemory(from: $0.baseAddress!, byteCount: n * 4) }
      }
      x += lanes
    }
  }
}

/// The vector widths the planes run at. Their arithmetic is spelled on the concrete types,
/// where it compiles to single vector instructions (generic `SIMD` code goes lane by lane).
private protocol DepthwiseVector: SIMD where Scalar == Float {
  static var zero: Self { get }
  static func load(_ p: UnsafeRawPointer) -> Self
  /// The first `count` floats at `p`, the other lanes zero.
  static func zeroPadded(_ p: UnsafePointer<Float>, _ count: Int) -> Self
  /// `self + x * weight` (fused where the CPU has FMA).
  func addingTap(_ x: Self, _ weight: Float) -> Self
  /// `clamp(self + bias + residual, lower, upper)`, the clamp as comparisons.
  func finished(bias: Float, residual: Self?, lower: Float, upper: Float) -> Self
}

extension SIMD16<Float>: DepthwiseVector {
  static var zero: Self { Self() }
  @inline(__always) static func load(_ p: UnsafeRawPointer) -> Self { p.loadUnaligned(as: Self.self) }
  @inline(__always) static func zeroPadded(_ p: UnsafePointer<Float>, _ count: Int) -> Self {
    var v = Self()
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
    return v
  }
  @inline(__always) func addingTap(_ x: Self, _ weight: Float) -> Self { mulAdd(self, x, Self(repeating: weight)) }
  @inline(__always) func finished(bias: Float, residual: Self?, lower: Float, upper: Float) -> Self {
    var v = self + bias
    if let residual { v += residual }
    v = v.replacing(with: lower, where: v .< lower)
    return v.replacing(with: upper, where: v .> upper)
  }
}

extension SIMD8<Float>: DepthwiseVector {
  static var zero: Self { Self() }
  @inline(__always) static func load(_ p: UnsafeRawPointer) -> Self { p.loadUnaligned(as: Self.self) }
  @inline(__always) static func zeroPadded(_ p: UnsafePointer<Float>, _ count: Int) -> Self {
    var v = Self()
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
    return v
  }
  @inline(__always) func addingTap(_ x: Self, _ weight: Float) -> Self { mulAdd(self, x, Self(repeating: weight)) }
  @inline(__always) func finished(bias: Float, residual: Self?, lower: Float, upper: Float) -> Self {
    var v = self + bias
    if let residual { v += residual }
    v = v.replacing(with: lower, where: v .< lower)
    return v.replacing(with: upper, where: v .> upper)
  }
}
