// Max pooling of one channel plane, compiled once per instruction set like MicroKernels.swift
// (KernelsGeneric and KernelsSkylakeX link this file), so its vectors are the set's width.

/// Max pooling of `planes` consecutive `inHeight x inWidth` planes into `outHeight x outWidth`
/// ones (also consecutive), separably: first each input row's maxima over the window's
/// columns, then each output row as the maxima over its window's rows of those. A 3x3 window
/// costs 3 + 3 vector folds per output instead of 9. The row pass reads the rows in place:
/// outputs whose window lies inside the row go a vector at a time, the few at the borders
/// one at a time over the taps inside the row (copying a row between `-inf` borders first
/// made every load straddle two earlier stores, which the CPU cannot forward: that stall
/// was most of the time on 14 x 14 planes). Several planes per call spread the per-call
/// cost over a channel block.
///
/// `scratch` holds `maxPoolScratchCount(...)` floats.
///
/// Bit-identical to the reference, which folds the window's taps inside the input in row-major
/// order with `x > acc ? x : acc` from `-greatestFiniteMagnitude`: the row pass keeps each row's
/// first maximal element and the column pass the first row holding the overall maximum, which
/// is the first maximal element in row-major order (so `-0` vs `+0` follows the reference's
/// order). A plane holding a NaN folds with the reference's NaN rule instead
/// (`x > acc || x.isNaN`: the window's last NaN), which the two passes keep too: the last NaN
/// of the last row holding one.
public func maxPoolPlanes(
  input: UnsafePointer<Float>, inHeight: Int, inWidth: Int, output: UnsafeMutablePointer<Float>, outHeight: Int,
  outWidth: Int, window: WindowShape, planes: Int, scratch: UnsafeMutablePointer<Float>
) {
  if SameSize3x3.applies(inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth, window: window) {
    let run = SameSize3x3(input: input, output: output, height: inHeight, width: inWidth, count: planes &* inHeight &* inWidth)
    if holdsNaN(input, count: run.count) {
      run.pool(MaxKeepingNaN.self)
    } else {
      run.pool(MaxOfOrdered.self)
    }
    return
  }
  let separable =
    maxPoolScratchCount(inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth, window: window) > 0
  for index in 0..<planes {
    let plane = PoolPlane(
      input: input + index &* inHeight &* inWidth, inHeight: inHeight, inWidth: inWidth,
      output: output + index &* outHeight &* outWidth, outHeight: outHeight, outWidth: outWidth, window: window,
      scratch: scratch)
    if separable {
      plane.run()
    } else {
      plane.runDirect()
    }
  }
}

/// The scratch floats `maxPoolPlanes` needs: the row maxima; 0 for planes that go the direct
/// way (windows so far apart or padding so wide, as only a crafted plan has, that the row
/// maxima would outgrow the data: those fold each window's taps inside the input).
public func maxPoolScratchCount(inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, window: WindowShape) -> Int {
  let maxima = inHeight * outWidth
  let data = inHeight * inWidth + outHeight * outWidth
  return maxima <= 2 * data ? maxima : 0
}

/// Taps `k` in `0..<kernel` with `start + k * dilation` in `lo..<hi`: a range of `k`.
@inline(__always)
public func windowTaps(start: Int, dilation: Int, kernel: Int, lo: Int, hi: Int) -> Range<Int> {
  let first = start >= lo ? 0 : (lo - start + dilation - 1) / dilation
  let end = start >= hi ? 0 : min(kernel, (hi - start + dilation - 1) / dilation)
  return first < end ? first..<end : 0..<0
}

/// The output positions along one axis whose whole window lies inside `0..<size`.
public func interiorOutputs(size: Int, outputs: Int, kernel: Int, stride: Int, pad: Int, dilation: Int) -> Range<Int> {
  let lo = min(outputs, (pad + stride - 1) / stride)
  let lastStart = size - 1 - (kernel - 1) * dilation + pad
  let hi = lastStart < 0 ? 0 : min(outputs, lastStart / stride + 1)
  return lo < hi ? lo..<hi : lo..<lo
}

/// Whether `count` floats from `p` hold a NaN, 16 at a time (the last vector overlapping the
/// one before).
@inline(__always)
private func holdsNaN(_ p: UnsafePointer<Float>, count: Int) -> Bool {
  typealias V = SIMD16<Float>
  guard count >= V.scalarCount else { return (0..<count).contains { p[$0].isNaN } }
  var mask = SIMDMask<SIMD16<Int32>>(repeating: false)
  var i = 0
  while i < count {
    i = min(i, count &- V.scalarCount)
    let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    mask .|= v .!= v
    i &+= V.scalarCount
  }
  return any(mask)
}

/// 3x3 windows at stride 1 with one row and column of padding all round, so that output
/// planes are the input's size (GoogLeNet's pool branches): the planes back to back are one
/// run, output `j` centred on input `j`, 16 outputs at a time, each folding its 9 taps in
/// row-major order as the reference does (the same bits, NaN rule included), with the taps
/// outside its own plane (left of column 0, above row 0, ...) masked to the fold's seed. Plane
/// by plane, the separable passes spent most of a 7x7 or 14x14 plane on its border columns
/// and on per-plane set-up: 3x slower than onnxruntime's pooling across channel blocks.
private struct SameSize3x3 {
  typealias V = SIMD16<Float>
  typealias Lanes = SIMD16<Float.SIMDMaskScalar>
  let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  let height: Int, width: Int
  /// Outputs (and inputs) in the run.
  let count: Int

  static func applies(inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, window w: WindowShape) -> Bool {
    w.kernelHeight == 3 && w.kernelWidth == 3 && w.strideHeight == 1 && w.strideWidth == 1 && w.padTop == 1
      && w.padLeft == 1 && w.dilationHeight == 1 && w.dilationWidth == 1 && outHeight == inHeight && outWidth == inWidth
      && inHeight * inWidth <= 1 << 23
  }

  @inline(__always)
  func pool<F: MaxRule>(_: F.Type) {
    let w = width, plane = height &* width
    // Vectors whose every tap lies inside the run; the outputs before and after go one by one.
    let first = w &+ 1, end = count &- w &- 1 &- V.scalarCount
    var j = 0
    while j < min(first, count) {
      output[j] = scalarOutput(F.self, j)
      j &+= 1
    }
    guard first <= end else {
      while j < count {
        output[j] = scalarOutput(F.self, j)
        j &+= 1
      }
      return
    }
    // Lane `l`'s column and position in its plane, as floats (exact below 2^24, and `applies`
    // keeps planes to 2^23 floats), whose compares and selects compile to single vector instructions.
    var column = V(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + V(repeating: Float(j % w))
    var position = V(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + V(repeating: Float(j % plane))
    let width = V(repeating: Float(w)), planeSize = V(repeating: Float(plane)), step = V(repeating: Float(V.scalarCount))
    let zero = V(), lastColumn = V(repeating: Float(w &- 1)), lastRowStart = V(repeating: Float(plane &- w))
    // Subtractions that bring `column + 16` back under the width.
    let columnWraps = (V.scalarCount &+ w &- 1) / w, planeWraps = (V.scalarCount &+ plane &- 1) / plane
    column = reduced(column, modulo: width, times: columnWraps)
    position = reduced(position, modulo: planeSize, times: planeWraps)
    let seed = V(repeating: F.seed)
    while j <= end {
      let left = column .!= zero, right = column .!= lastColumn
      let top = position .>= width, bottom = position .< lastRowStart
      @inline(__always) func tap(_ offset: Int, _ inside: SIMDMask<Lanes>) -> V {
        seed.replacing(with: V.dense(input + (j &+ offset)), where: inside)
      }
      @inline(__always) func tap(_ offset: Int, _ inside: SIMDMask<Lanes>, _ alsoInside: SIMDMask<Lanes>) -> V {
        seed.replacing(with: tap(offset, inside), where: alsoInside)
      }
      var acc = seed
      acc = F.fold(acc, tap(-w &- 1, top, left))
      acc = F.fold(acc, tap(-w, top))
      acc = F.fold(acc, tap(-w &+ 1, top, right))
      acc = F.fold(acc, tap(-1, left))
      acc = F.fold(acc, V.dense(input + j))
      acc = F.fold(acc, tap(1, right))
      acc = F.fold(acc, tap(w &- 1, bottom, left))
      acc = F.fold(acc, tap(w, bottom))
      acc = F.fold(acc, tap(w &+ 1, bottom, right))
      UnsafeMutableRawPointer(output + j).storeBytes(of: acc, as: V.self)
      j &+= V.scalarCount
      column = reduced(column + step, modulo: width, times: columnWraps)
      position = reduced(position + step, modulo: planeSize, times: planeWraps)
    }
    while j < count {
      output[j] = scalarOutput(F.self, j)
      j &+= 1
    }
  }

  /// `x mod m` per lane for lanes in `0 ..< (times + 1) * m`.
  @inline(__always)
  func reduced(_ x: V, modulo m: V, times: Int) -> V {
    var x = x
    for _ in 0..<times { x = x.replacing(with: x - m, where: x .>= m) }
    return x
  }

  /// Output `j` alone: its window's taps inside its plane, in row-major order.
  @inline(__always)
  func scalarOutput<F: MaxRule>(_: F.Type, _ j: Int) -> Float {
    let x = j % width, y = (j / width) % height
    var acc = F.seed
    for dy in -1...1 where y &+ dy >= 0 && y &+ dy < height {
      for dx in -1...1 where x &+ dx >= 0 && x &+ dx < width {
        acc = F.fold(acc, input[j &+ dy &* width &+ dx])
      }
    }
    return acc
  }
}

private struct PoolPlane {
  let input: UnsafePointer<Float>
  let inHeight: Int, inWidth: Int
  let output: UnsafeMutablePointer<Float>
  let outHeight: Int, outWidth: Int
  let window: WindowShape
  let scratch: UnsafeMutablePointer<Float>

  /// Each output as the reference computes it: the taps of its window inside the input, in
  /// row-major order, with the NaN rule (a plane holding NaN is rare, and so are planes that go
  /// this way).
  func runDirect() {
    let w = window
    for oy in 0..<outHeight {
      let y0 = oy &* w.strideHeight &- w.padTop
      let rows = windowTaps(start: y0, dilation: w.dilationHeight, kernel: w.kernelHeight, lo: 0, hi: inHeight)
      for ox in 0..<outWidth {
        let x0 = ox &* w.strideWidth &- w.padLeft
        let columns = windowTaps(start: x0, dilation: w.dilationWidth, kernel: w.kernelWidth, lo: 0, hi: inWidth)
        var acc = MaxKeepingNaN.seed
        for ky in rows {
          let row = input + ((y0 &+ ky &* w.dilationHeight) &* inWidth &+ x0)
          for kx in columns { acc = MaxKeepingNaN.fold(acc, row[kx &* w.dilationWidth]) }
        }
        output[oy &* outWidth &+ ox] = acc
      }
    }
  }

  /// Both passes, with NaN-free folds unless the plane holds a NaN (rare).
  @inline(__always)
  func run() {
    if holdsNaN(input, count: inHeight &* inWidth) {
      rowMaxima(MaxKeepingNaN.self)
      columnMaxima(MaxKeepingNaN.self)
    } else {
      rowMaxima(MaxOfOrdered.self)
      columnMaxima(MaxOfOrdered.self)
    }
  }

  /// Every input row's maxima over the window's columns, into the scratch.
  @inline(__always)
  func rowMaxima<F: MaxRule>(_: F.Type) {
    let w = window
    let inside = interiorOutputs(
      size: inWidth, outputs: outWidth, kernel: w.kernelWidth, stride: w.strideWidth, pad: w.padLeft,
      dilation: w.dilationWidth)
    if inWidth == w.strideWidth &* outWidth && !inside.isEmpty {
      // Rows exactly `strideWidth` outputs wide (3x3/1 pad 1; 3x3/2 on an even width): the
      // rows back to back are one run, output `j` of which starts its window at input
      // `j * strideWidth - padLeft`. Only the border columns' windows cross into a neighbouring
      // row (or out of the plane); those are recomputed after.
      let first = inside.lowerBound, count = inHeight &* outWidth &- first &- (outWidth &- inside.upperBound)
      let start = input + (first &* w.strideWidth &- w.padLeft), out = scratch + first
      switch (w.kernelWidth, w.dilationWidth) {
      case (3, 1): rowPass(F.self, start, out, count: count, kernel: 3, dilation: 1)
      default: rowPass(F.self, start, out, count: count, kernel: w.kernelWidth, dilation: w.dilationWidth)
      }
      for y in 0..<inHeight {
        let row = input + y &* inWidth, maxima = scratch + y &* outWidth
        for ox in 0..<inside.lowerBound { maxima[ox] = borderMaximum(F.self, row, ox) }
        for ox in inside.upperBound..<outWidth { maxima[ox] = borderMaximum(F.self, row, ox) }
      }
      return
    }
    for y in 0..<inHeight {
      let row = input + y &* inWidth
      let maxima = scratch + y &* outWidth
      if !inside.isEmpty {
        // Output `ox`'s window starts at `row[ox * strideWidth - padLeft]`, inside the row.
        let first = row + (inside.lowerBound &* w.strideWidth &- w.padLeft), out = maxima + inside.lowerBound
        // Constant kernel widths unroll the taps.
        switch (w.kernelWidth, w.dilationWidth) {
        case (3, 1): rowPass(F.self, first, out, count: inside.count, kernel: 3, dilation: 1)
        case (2, 1): rowPass(F.self, first, out, count: inside.count, kernel: 2, dilation: 1)
        default: rowPass(F.self, first, out, count: inside.count, kernel: w.kernelWidth, dilation: w.dilationWidth)
        }
      }
      for ox in 0..<inside.lowerBound { maxima[ox] = borderMaximum(F.self, row, ox) }
      for ox in inside.upperBound..<outWidth { maxima[ox] = borderMaximum(F.self, row, ox) }
    }
  }

  /// Output column `ox`'s maximum over the taps of its window inside `row`.
  @inline(__always)
  func borderMaximum<F: MaxRule>(_: F.Type, _ row: UnsafePointer<Float>, _ ox: Int) -> Float {
    let w = window
    let x0 = ox &* w.strideWidth &- w.padLeft
    var acc = F.seed
    if w.dilationWidth == 1 {  // No division.
      var x = max(0, x0)
      let end = min(inWidth, x0 &+ w.kernelWidth)
      while x < end {
        acc = F.fold(acc, row[x])
        x &+= 1
      }
      return acc
    }
    for k in windowTaps(start: x0, dilation: w.dilationWidth, kernel: w.kernelWidth, lo: 0, hi: inWidth) {
      acc = F.fold(acc, row[x0 &+ k &* w.dilationWidth])
    }
    return acc
  }

  /// Each output row as the maxima over its window's rows of row maxima. At vertical stride 1
  /// the rows whose windows lie inside the plane go as one run: output row `oy` and row maxima
  /// row `oy - padTop` are both contiguous, so a vector never stops at a row's end.
  @inline(__always)
  func columnMaxima<F: MaxRule>(_: F.Type) {
    let w = window
    var inside = 0..<0
    if w.strideHeight == 1 {
      inside = interiorOutputs(
        size: inHeight, outputs: outHeight, kernel: w.kernelHeight, stride: 1, pad: w.padTop, dilation: w.dilationHeight)
      if !inside.isEmpty {
        columnPass(
          F.self, first: scratch + (inside.lowerBound &- w.padTop) &* outWidth, step: w.dilationHeight &* outWidth,
          rowCount: w.kernelHeight, output: output + inside.lowerBound &* outWidth, count: inside.count &* outWidth)
      }
    }
    for oy in 0..<outHeight where !inside.contains(oy) {
      let start = oy &* w.strideHeight &- w.padTop
      let rows: Range<Int>
      if w.dilationHeight == 1 {  // No division.
        let lo = max(0, -start), hi = min(w.kernelHeight, inHeight &- start)
        rows = lo < hi ? lo..<hi : 0..<0
      } else {
        rows = windowTaps(start: start, dilation: w.dilationHeight, kernel: w.kernelHeight, lo: 0, hi: inHeight)
      }
      let out = output + oy &* outWidth
      guard !rows.isEmpty else {
        out.update(repeating: F.seed, count: outWidth)
        continue
      }
      let first = scratch + (start &+ rows.lowerBound &* w.dilationHeight) &* outWidth
      columnPass(
        F.self, first: first, step: w.dilationHeight &* outWidth, rowCount: rows.count, output: out, count: outWidth)
    }
  }

  /// `count` outputs of one row's maxima over the window's columns; output `i`'s window starts
  /// at `row[i * strideWidth]` and lies inside the row.
  @inline(__always)
  func rowPass<F: MaxRule>(
    _: F.Type, _ row: UnsafePointer<Float>, _ maxima: UnsafeMutablePointer<Float>, count: Int, kernel: Int, dilation: Int
  ) {
    switch window.strideWidth {
    case 1: rowPass(F.self, DenseLoad.self, row, maxima, count: count, kernel: kernel, dilation: dilation)
    case 2: rowPass(F.self, EvenLoad.self, row, maxima, count: count, kernel: kernel, dilation: dilation)
    default: rowPass(F.self, StridedLoad.self, row, maxima, count: count, kernel: kernel, dilation: dilation)
    }
  }

  @inline(__always)
  func rowPass<F: MaxRule, L: LaneLoad>(
    _: F.Type, _: L.Type, _ row: UnsafePointer<Float>, _ maxima: UnsafeMutablePointer<Float>, count: Int, kernel: Int,
    dilation: Int
  ) {
    let stride = window.strideWidth
    if count >= 16 {
      rowRun(F.self, L.self, SIMD16<Float>.self, row, maxima, count: count, kernel: kernel, dilation: dilation)
    } else if count >= 8 {
      rowRun(F.self, L.self, SIMD8<Float>.self, row, maxima, count: count, kernel: kernel, dilation: dilation)
    } else if count >= 4 {
      rowRun(F.self, L.self, SIMD4<Float>.self, row, maxima, count: count, kernel: kernel, dilation: dilation)
    } else {
      for ox in 0..<count {
        var acc = F.seed
        for k in 0..<kernel { acc = F.fold(acc, row[ox &* stride &+ k &* dilation]) }
        maxima[ox] = acc
      }
    }
  }

  /// All `count` (at least `V.scalarCount`) outputs a vector at a time; the last vector ends
  /// at the end, recomputing outputs of the one before.
  @inline(__always)
  func rowRun<F: MaxRule, L: LaneLoad, V: MaxVector>(
    _: F.Type, _: L.Type, _: V.Type, _ row: UnsafePointer<Float>, _ maxima: UnsafeMutablePointer<Float>, count: Int,
    kernel: Int, dilation: Int
  ) {
    let stride = window.strideWidth
    var ox = 0
    while ox < count {
      ox = min(ox, count &- V.scalarCount)
      var tap = row + ox &* stride
      var acc = V(repeating: F.seed)
      for _ in 0..<kernel {
        acc = F.fold(acc, L.load(tap, stride: stride) as V)
        tap += dilation
      }
      UnsafeMutableRawPointer(maxima + ox).storeBytes(of: acc, as: V.self)
      ox &+= V.scalarCount
    }
  }

  /// `count` outputs: the maxima over `rowCount` runs of row maxima, `step` floats apart.
  @inline(__always)
  func columnPass<F: MaxRule>(
    _: F.Type, first: UnsafePointer<Float>, step: Int, rowCount: Int, output: UnsafeMutablePointer<Float>, count: Int
  ) {
    // The common 3-row window unrolls.
    if count >= 16 && rowCount == 3 {
      columnRun(F.self, SIMD16<Float>.self, first: first, step: step, rowCount: 3, output: output, count: count)
    } else if count >= 16 {
      columnRun(F.self, SIMD16<Float>.self, first: first, step: step, rowCount: rowCount, output: output, count: count)
    } else if count >= 8 && rowCount == 3 {
      columnRun(F.self, SIMD8<Float>.self, first: first, step: step, rowCount: 3, output: output, count: count)
    } else if count >= 8 {
      columnRun(F.self, SIMD8<Float>.self, first: first, step: step, rowCount: rowCount, output: output, count: count)
    } else if count >= 4 {
      columnRun(F.self, SIMD4<Float>.self, first: first, step: step, rowCount: rowCount, output: output, count: count)
    } else {
      for x in 0..<count {
        var acc = F.seed
        for r in 0..<rowCount { acc = F.fold(acc, first[r &* step &+ x]) }
        output[x] = acc
      }
    }
  }

  @inline(__always)
  func columnRun<F: MaxRule, V: MaxVector>(
    _: F.Type, _: V.Type, first: UnsafePointer<Float>, step: Int, rowCount: Int, output: UnsafeMutablePointer<Float>,
    count: Int
  ) {
    var x = 0
    while x < count {
      x = min(x, count &- V.scalarCount)
      var acc = V(repeating: F.seed)
      var row = first + x
      for _ in 0..<rowCount {
        acc = F.fold(acc, V.dense(row))
        row += step
      }
      UnsafeMutableRawPointer(output + x).storeBytes(of: acc, as: V.self)
      x &+= V.scalarCount
    }
  }
}

/// The vector widths the passes run at. Their arithmetic is spelled on the concrete types,
/// where it compiles to single vector instructions (generic `SIMD` code goes lane by lane).
protocol MaxVector: SIMD where Scalar == Float {
  /// `p[0..<scalarCount]`.
  static func dense(_ p: UnsafePointer<Float>) -> Self
  /// `p[0], p[2], ...`, reading nothing past the last of them.
  static func evens(_ p: UnsafePointer<Float>) -> Self
  /// `x > acc ? x : acc` per lane (x86's `maxps x, acc`).
  static func greater(_ x: Self, _ acc: Self) -> Self
  /// `x > acc || x.isNaN ? x : acc` per lane.
  static func greaterOrNaN(_ x: Self, _ acc: Self) -> Self
}

extension SIMD16<Float>: MaxVector {
  @inline(__always) static func dense(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
  /// From loads of `p[0...15]` and `p[15...30]`.
  @inline(__always) static func evens(_ p: UnsafePointer<Float>) -> Self {
    let a = dense(p), b = dense(p + 15)
    return Self(lowHalf: a.evenHalf, highHalf: b.oddHalf)
  }
  @inline(__always) static func greater(_ x: Self, _ acc: Self) -> Self { acc.replacing(with: x, where: x .> acc) }
  @inline(__always) static func greaterOrNaN(_ x: Self, _ acc: Self) -> Self {
    acc.replacing(with: x, where: (x .> acc) .| (x .!= x))
  }
}

extension SIMD8<Float>: MaxVector {
  @inline(__always) static func dense(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
  /// From loads of `p[0...7]` and `p[7...14]`.
  @inline(__always) static func evens(_ p: UnsafePointer<Float>) -> Self {
    let a = dense(p), b = dense(p + 7)
    return Self(a[0], a[2], a[4], a[6], b[1], b[3], b[5], b[7])
  }
  @inline(__always) static func greater(_ x: Self, _ acc: Self) -> Self { acc.replacing(with: x, where: x .> acc) }
  @inline(__always) static func greaterOrNaN(_ x: Self, _ acc: Self) -> Self {
    acc.replacing(with: x, where: (x .> acc) .| (x .!= x))
  }
}

extension SIMD4<Float>: MaxVector {
  @inline(__always) static func dense(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
  /// From loads of `p[0...3]` and `p[3...6]`.
  @inline(__always) static func evens(_ p: UnsafePointer<Float>) -> Self {
    let a = dense(p), b = dense(p + 3)
    return Self(a[0], a[2], b[1], b[3])
  }
  @inline(__always) static func greater(_ x: Self, _ acc: Self) -> Self { acc.replacing(with: x, where: x .> acc) }
  @inline(__always) static func greaterOrNaN(_ x: Self, _ acc: Self) -> Self {
    acc.replacing(with: x, where: (x .> acc) .| (x .!= x))
  }
}

/// The reference's fold of one tap into the max, on one output or a vector of them.
protocol MaxRule {
  static func fold(_ acc: Float, _ x: Float) -> Float
  static func fold<V: MaxVector>(_ acc: V, _ x: V) -> V
}

extension MaxRule {
  /// Where every fold starts: what a window of `-inf` (or of padding only) yields.
  static var seed: Float { -.greatestFiniteMagnitude }
}

/// NaN-free values: a tap replaces the max only when greater, so the first of equal values stays.
private enum MaxOfOrdered: MaxRule {
  @inline(__always) static func fold(_ acc: Float, _ x: Float) -> Float { x > acc ? x : acc }
  @inline(__always) static func fold<V: MaxVector>(_ acc: V, _ x: V) -> V { V.greater(x, acc) }
}

/// With NaN: a NaN tap always replaces the max, so a window holding NaNs yields its last NaN.
private enum MaxKeepingNaN: MaxRule {
  @inline(__always) static func fold(_ acc: Float, _ x: Float) -> Float { x > acc || x.isNaN ? x : acc }
  @inline(__always) static func fold<V: MaxVector>(_ acc: V, _ x: V) -> V { V.greaterOrNaN(x, acc) }
}

/// How a vector of outputs reads one tap: lane `i` reads `p[i * stride]`, and nothing past
/// the last lane's element (so no load leaves a row read in place).
protocol LaneLoad {
  static func load<V: MaxVector>(_ p: UnsafePointer<Float>, stride: Int) -> V
}

/// Stride 1: one unaligned load.
private enum DenseLoad: LaneLoad {
  @inline(__always) static func load<V: MaxVector>(_ p: UnsafePointer<Float>, stride: Int) -> V { V.dense(p) }
}

/// Stride 2: two loads and a shuffle.
private enum EvenLoad: LaneLoad {
  @inline(__always) static func load<V: MaxVector>(_ p: UnsafePointer<Float>, stride: Int) -> V { V.evens(p) }
}

/// Any other stride: lane by lane.
private enum StridedLoad: LaneLoad {
  @inline(__always) static func load<V: MaxVector>(_ p: UnsafePointer<Float>, stride: Int) -> V {
    var v = V()
    for i in 0..<V.scalarCount { v[i] = p[i &* stride] }
    return v
  }
}
