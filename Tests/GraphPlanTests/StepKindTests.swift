import XCTest
@testable import GraphPlan

/// Every step kind through encode → decode, through validation, and into words.
final class StepKindTests: XCTestCase {
  /// One kernel of each kind, with non-default parameters.
  static let kernels: [Kernel] = [
    .conv(Convolution(
      geometry: Conv2DGeometry(
        inChannels: 4, inHeight: 9, inWidth: 7, outChannels: 6, kernelHeight: 3, kernelWidth: 2, strideHeight: 2,
        strideWidth: 1, padTop: 1, padLeft: 0, padBottom: 2, padRight: 1, dilationHeight: 2, dilationWidth: 1, groups: 2),
      weights: WeightRef(offset: 3, count: 72), bias: WeightRef(offset: 80, count: 6), residual: true,
      activation: .clip(min: -1, max: 6))),
    .pool(Pooling(
      kind: .average,
      geometry: Pool2DGeometry(
        channels: 3, inHeight: 6, inWidth: 5, outHeight: 3, outWidth: 3, kernelHeight: 3, kernelWidth: 2,
        strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 0),
      countIncludePad: true)),
    .globalPool(.max),
    .dense(Dense(inFeatures: 12, outFeatures: 5, weights: WeightRef(offset: 0, count: 60), bias: nil, activation: .relu)),
    .binary(Binary(
      op: .div, leftDims: [3, 1, 4], rightDims: [2, 1], constant: WeightRef(offset: 7, count: 2), constantIsLeft: true,
      activation: .none)),
    .channelAffine(scale: WeightRef(offset: 1, count: 3), shift: WeightRef(offset: 4, count: 3), activation: .relu),
    .activation(.clip(min: 0, max: 6)),
    .lrn(size: 5, alpha: 0.0001, beta: 0.75, bias: 2),
    .softmax(axis: 1),
    .transpose(perm: [2, 0, 1]),
    .copy,
    .slice(starts: [1, 0, 3], steps: [1, 2, -1]),
    .layerNorm(axis: 1, epsilon: 1e-6, scale: WeightRef(offset: 2, count: 12), bias: WeightRef(offset: 14, count: 12)),
    .channelNorm(epsilon: 1e-6, scale: WeightRef(offset: 2, count: 3), bias: nil),
    .constant(WeightRef(offset: 5, count: 24)),
    .matmul(MatMulStep(leftDims: [2, 3, 4], rightDims: [4], constant: WeightRef(offset: 1, count: 4), constantIsLeft: false)),
    .concat(axis: 2),
    .gather(axis: 1, indices: [2, 0, 2]),
    .batchMean,
    .convND(ConvolutionND(
      geometry: ConvNDGeometry(
        inChannels: 4, inSizes: [5, 9, 7], outChannels: 6,
        window: WindowND(kernel: [2, 3, 2], strides: [1, 2, 1], dilations: [1, 1, 2], padsBegin: [1, 1, 0], padsEnd: [0, 2, 1]),
        groups: 2),
      weights: WeightRef(offset: 3, count: 288), weightLayout: .gemmPanels, bias: nil, residual: false, activation: .relu)),
    .poolND(PoolingND(
      kind: .max,
      geometry: PoolNDGeometry(
        channels: 3, inSizes: [4, 6, 5], outSizes: [2, 3, 3], window: WindowND(kernel: [2, 2, 3], strides: [2, 2, 2], padsEnd: [0, 0, 1])),
      countIncludePad: false)),
    .reduce(.logSumExp),
    .logSoftmax(axis: 2),
    .convTranspose(ConvolutionTranspose(
      geometry: ConvTransposeGeometry(
        inChannels: 4, inSizes: [5, 3], outChannels: 6, outSizes: [11, 8], kernel: [3, 2], strides: [2, 3], dilations: [1, 2],
        padsBegin: [1, -1], groups: 2),
      weights: WeightRef(offset: 2, count: 48), weightLayout: .oihw, bias: WeightRef(offset: 50, count: 6), activation: .relu)),
    .select(Select(dims: [[3, 1], [], [2, 3, 4]], constants: [nil, WeightRef(offset: 4, count: 1), nil])),
    .indexCopy(sources: [[1, 0], [-1, 0, 2, -1], [3]], fill: -0.5),
    .resize(
      rows: ResizeAxis.linear(low: [0, 0, 1], high: [1, 1, 2], weights: [0, 0.5, 0.25]),
      columns: ResizeAxis(identity: 2)),
    .topK(k: 3, largest: false, indices: true),
    .cumSum(axis: 1, exclusive: true, reverse: false),
    // A Winograd conv (a second conv, after the others).
    .conv(Convolution(
      geometry: Conv2DGeometry(
        inChannels: 4, inHeight: 14, inWidth: 14, outChannels: 6, kernelHeight: 3, kernelWidth: 3, strideHeight: 1,
        strideWidth: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1),
      weights: WeightRef(offset: 0, count: 36 * 6 * 4), weightLayout: .winograd4x4, bias: nil, residual: false,
      activation: .relu)),
  ]

  func testEveryKindRoundTripsThroughItsEncoding() throws {
    XCTAssertEqual(Set(Self.kernels.map(PlanDescription.kind)).count, Kernel.registry.count, "one sample per kind")
    for kernel in Self.kernels {
      var w = ByteWriter()
      w.kernel(kernel)
      let bytes = w.bytes
      let decoded = try bytes.withUnsafeBytes { raw -> Kernel in
        var r = ByteReader(raw, context: "test")
        let k = try r.kernel()
        XCTAssertTrue(r.isAtEnd, "\(kernel): decoding left bytes over")
        return k
      }
      XCTAssertEqual(decoded, kernel)
      XCTAssertEqual(bytes.first, type(of: kernel.step).tag)
    }
  }

  func testReduceKindsKeepTheirOnDiskCodes() throws {
    let codes = try ReduceKind.allCases.map { kind -> UInt8 in
      var w = ByteWriter()
      w.kernel(.reduce(kind))
      let decoded = try w.bytes.withUnsafeBytes { raw -> Kernel in
        var r = ByteReader(raw, context: "test")
        return try r.kernel()
      }
      XCTAssertEqual(decoded, .reduce(kind))
      return w.bytes[1]
    }
    // Never renumber: sum, mean, max, min, l2, sumSquare, prod, logSumExp, then l1 and logSum, then the arg kinds.
    XCTAssertEqual(ReduceKind.allCases.map(\.name), [
      "sum", "mean", "max", "min", "l2", "sumsquare", "prod", "logsumexp", "l1", "logsum", "argmax", "argmin", "argmax-last", "argmin-last",
    ])
    XCTAssertEqual(codes, Array(0...13))
  }

  func testTagsAreTheOnDiskNumbers() {
    // Never renumber: files written by older compilers use these.
    let tags = Dictionary(uniqueKeysWithValues: Kernel.registry.map { ($0.name, $0.tag) })
    XCTAssertEqual(tags, [
      "conv": 1, "pool": 2, "global-pool": 3, "dense": 4, "binary": 5, "channel-affine": 6, "activation": 7,
      "lrn": 8, "softmax": 9, "transpose": 10, "copy": 11, "slice": 12, "layer-norm": 13,
      "channel-norm": 14, "constant": 15, "matmul": 16, "concat": 17, "gather": 18, "batch-mean": 19, "conv-nd": 20,
      "pool-nd": 21, "reduce": 22, "log-softmax": 23, "conv-transpose": 24, "select": 25, "index-copy": 26, "resize": 27, "topk": 28,
      "cumsum": 29,
    ])
    XCTAssertEqual(PlanDescription.kinds, [
      "conv", "pool", "global-pool", "dense", "binary", "channel-affine", "activation", "lrn", "softmax", "transpose", "copy",
      "slice", "layer-norm", "channel-norm", "constant", "matmul", "concat", "gather", "batch-mean", "conv-nd", "pool-nd",
      "reduce", "log-softmax", "conv-transpose", "select", "index-copy", "resize", "topk", "cumsum",
    ])
  }

  func testGeometryFieldsKeepTheirFileOrder() throws {
    guard case .conv(let c) = Self.kernels[0], case .pool(let p) = Self.kernels[1] else { return XCTFail() }
    var w = ByteWriter()
    w.geometry(c.geometry, Conv2DGeometry.fileFields)
    w.geometry(p.geometry, Pool2DGeometry.fileFields)
    let ints = try w.bytes.withUnsafeBytes { raw -> [[Int]] in
      var r = ByteReader(raw, context: "test")
      return [try r.ints(), try r.ints()]
    }
    let g = c.geometry
    XCTAssertEqual(ints[0], [4, 9, 7, 6, g.outHeight, g.outWidth, 3, 2, 2, 1, 1, 0, 2, 1, 2, 1, 2])
    XCTAssertEqual(ints[1], [3, 6, 5, 3, 3, 3, 2, 2, 2, 1, 1, 1, 0, 1, 1])
  }

  /// N-D geometries: rank, channels (and groups), sizes, then the window's lists in turn.
  func testNDGeometryFieldsKeepTheirFileOrder() throws {
    guard case .convND(let c) = Self.kernels[19], case .poolND(let p) = Self.kernels[20] else { return XCTFail() }
    XCTAssertEqual(c.geometry.outSizes, [5, 5, 6])
    XCTAssertEqual(c.geometry.fileInts, [3, 4, 6, 2, 5, 9, 7, 5, 5, 6, 2, 3, 2, 1, 2, 1, 1, 1, 0, 0, 2, 1, 1, 1, 2])
    XCTAssertEqual(p.geometry.fileInts, [3, 3, 4, 6, 5, 2, 3, 3, 2, 2, 3, 2, 2, 2, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    // A stored output size that disagrees with the geometry is an error.
    var w = ByteWriter()
    w.kernel(.convND(c))
    var bytes = w.bytes
    bytes[1 + 4 + 8 * 7] = 6  // outSizes[0], after the tag, the u32 count and seven ints
    XCTAssertThrowsError(try bytes.withUnsafeBytes { raw in
      var r = ByteReader(raw, context: "bad")
      return try r.kernel()
    }) { XCTAssertTrue("\($0)".contains("conv-nd output [6, 5, 6] does not match"), "\($0)") }
  }

  /// Index-copy and resize tables and gather indices are as long as a tensor axis (past the 64
  /// values of other lists); a length beyond the bytes left is an error before anything is allocated.
  func testAxisTablesMayBeLong() throws {
    let long = Array(-1..<299)
    for kernel: Kernel in [
      .indexCopy(sources: [long, [0]], fill: 0),
      .gather(axis: 1, indices: Array(0..<300)),
      .resize(rows: ResizeAxis(identity: 1), columns: ResizeAxis(identity: 300)),
    ] {
      var w = ByteWriter()
      w.kernel(kernel)
      let decoded = try w.bytes.withUnsafeBytes { raw -> Kernel in
        var r = ByteReader(raw, context: "test")
        return try r.kernel()
      }
      XCTAssertEqual(decoded, kernel)
    }
    var w = ByteWriter()
    w.kernel(.indexCopy(sources: [long], fill: 0))
    var bytes = w.bytes
    bytes[1 + 8 + 3] = 0x10  // the table's u32 count, after the tag and the rank: 2^28 + 300
    XCTAssertThrowsError(try bytes.withUnsafeBytes { raw in
      var r = ByteReader(raw, context: "bad")
      return try r.kernel()
    }) { XCTAssertTrue("\($0)".contains("a list of 268435756 positions"), "\($0)") }
  }

  func testUnknownTagsAndTruncationAreErrors() {
    for bytes: [UInt8] in [[0], [15], [200], [1, 3, 0]] {
      XCTAssertThrowsError(try bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw, context: "bad")
        return try r.kernel()
      }) { error in
        guard case .format(let m) = error as? PlanError else { return XCTFail("\(error)") }
        XCTAssertTrue(m.hasPrefix("bad: "), m)
      }
    }
  }

  func testSummaries() {
    XCTAssertEqual(Self.kernels.map(PlanDescription.summary), [
      "conv 3x2/2x1 pad 1,0,2,1 dil 2x1 4→6 groups 2 clip(-1, 6) +residual",
      "avgpool 3x2/2 pad 1,1,1,0 ×3",
      "global maxpool",
      "dense 12→5 no-bias relu",
      "div 2x1 const, 3x1x4",
      "channel-affine ×3 relu",
      "clip(0, 6)",
      "lrn size 5 α 0.0001 β 0.75 k 2",
      "softmax axis 1",
      "transpose [2,0,1]",
      "copy",
      "slice [1:,0::2,3::-1]",
      "layer-norm axis 1 ε 1e-06",
      "channel-norm ε 1e-06 no-bias",
      "constant 24",
      "matmul 2x3x4, 4 const",
      "concat axis 2",
      "gather axis 1 3 indices",
      "batch-mean",
      "conv 2x3x2/1x2x1 pad 1,1,0,0,2,1 dil 1x1x2 4→6 groups 2 no-bias packed relu",
      "maxpool 2x2x3/2 pad 0,0,0,0,0,1 ×3",
      "reduce-logsumexp",
      "log-softmax axis 2",
      "conv-transpose 3x2/2x3 pad 1,-1 dil 1x2 4→6 to 11x8 groups 2 relu",
      "select 3x1, 1 const, 2x3x4",
      "index-copy [2x4x1] fill -0.5",
      "resize 3x2 (2x1 taps)",
      "top3-smallest indices",
      "cumsum axis 1 exclusive",
      "conv 3x3/1 pad 1 4→6 no-bias winograd relu",
    ])
  }

  func testEachKindValidatesItsOperands() throws {
    let x = View(base: 0, itemStride: 24, dims: [2, 3, 4])
    func plan(_ kernel: Kernel, inputs: [View], output: View, weights: Int = 0) -> Plan {
      Plan(
        fixedBatch: nil, arenaFloatsPerItem: 48, inputs: [TensorBinding(name: "x", view: x)],
        outputs: [TensorBinding(name: "y", view: output)],
        steps: [Step(name: "s", absorbed: ["s"], kernel: kernel, inputs: inputs, output: output)], weightCount: weights)
    }
    let y = View(base: 24, itemStride: 24, dims: [4, 2, 3])
    let same = View(base: 24, itemStride: 24, dims: [2, 3, 4])
    XCTAssertNoThrow(try plan(.transpose(perm: [2, 0, 1]), inputs: [x], output: y).validate())
    XCTAssertThrowsError(try plan(.transpose(perm: [2, 1, 0]), inputs: [x], output: y).validate()) {
      XCTAssertTrue("\($0)".contains("step 's': transpose output dims mismatch"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.softmax(axis: 3), inputs: [x], output: View(base: 24, itemStride: 24, dims: [2, 3, 4])).validate())
    XCTAssertNoThrow(try plan(.logSoftmax(axis: 2), inputs: [x], output: same).validate())
    XCTAssertThrowsError(try plan(.logSoftmax(axis: 3), inputs: [x], output: same).validate())
    // A reduction: one value per row of [2, 12].
    XCTAssertNoThrow(try plan(.reduce(.max), inputs: [x], output: View(base: 24, itemStride: 24, dims: [2, 1, 1])).validate())
    XCTAssertThrowsError(try plan(.reduce(.max), inputs: [x], output: View(base: 24, itemStride: 24, dims: [3])).validate()) {
      XCTAssertTrue("\($0)".contains("one value per row"), "\($0)")
    }
    // Top-k: k values of each row of [2, 12], k at most 12.
    XCTAssertNoThrow(try plan(.topK(k: 3, largest: true, indices: false), inputs: [x], output: View(base: 24, itemStride: 24, dims: [2, 3])).validate())
    XCTAssertThrowsError(try plan(.topK(k: 13, largest: true, indices: false), inputs: [x], output: View(base: 24, itemStride: 24, dims: [2, 12])).validate()) {
      XCTAssertTrue("\($0)".contains("k 13 must be in 1...12"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.topK(k: 2, largest: true, indices: true), inputs: [x], output: View(base: 24, itemStride: 24, dims: [2, 3])).validate()) {
      XCTAssertTrue("\($0)".contains("k values per row"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.lrn(size: 0, alpha: 1, beta: 1, bias: 1), inputs: [x], output: y).validate())
    XCTAssertThrowsError(try plan(.copy, inputs: [x, x], output: y).validate())
    let affine = Kernel.channelAffine(scale: WeightRef(offset: 0, count: 2), shift: WeightRef(offset: 2, count: 2), activation: .none)
    XCTAssertNoThrow(try plan(affine, inputs: [x], output: same, weights: 4).validate())
    XCTAssertThrowsError(try plan(affine, inputs: [x], output: same, weights: 3).validate()) {
      XCTAssertTrue("\($0)".contains("shift weights"), "\($0)")
    }
    // Slices read inside their input: channel 1, every other row, columns 3 down to 0.
    let sliced = View(base: 24, itemStride: 24, dims: [1, 2, 4])
    XCTAssertNoThrow(try plan(.slice(starts: [1, 0, 3], steps: [1, 2, -1]), inputs: [x], output: sliced).validate())
    for (starts, steps) in [([2, 0, 3], [1, 2, -1]), ([1, 1, 3], [1, 2, -1]), ([1, 0, 3], [1, 2, 1]), ([1, 0, 3], [1, 0, -1])] {
      XCTAssertThrowsError(try plan(.slice(starts: starts, steps: steps), inputs: [x], output: sliced).validate(), "\(starts) \(steps)") {
        XCTAssertTrue("\($0)".contains("leaves its"), "\($0)")
      }
    }
    XCTAssertThrowsError(try plan(.slice(starts: [0, 0], steps: [1, 1]), inputs: [x], output: sliced).validate())
    let huge = View(base: 24, itemStride: 24, dims: [1, 1 << 62, 4])
    XCTAssertThrowsError(try plan(.slice(starts: [0, 0, 0], steps: [1, 1 << 40, 1]), inputs: [x], output: huge).validate())
    // Layer norm: scale and bias hold one float per position of the normalized row (3 x 4).
    let norm = Kernel.layerNorm(axis: 1, epsilon: 1e-5, scale: WeightRef(offset: 0, count: 12), bias: WeightRef(offset: 12, count: 12))
    XCTAssertNoThrow(try plan(norm, inputs: [x], output: same, weights: 24).validate())
    XCTAssertThrowsError(try plan(.layerNorm(axis: 2, epsilon: 1e-5, scale: WeightRef(offset: 0, count: 12), bias: nil), inputs: [x], output: same, weights: 24).validate()) {
      XCTAssertTrue("\($0)".contains("scale weights"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.layerNorm(axis: 3, epsilon: 1e-5, scale: WeightRef(offset: 0, count: 1), bias: nil), inputs: [x], output: same, weights: 24).validate())
    let add = Kernel.binary(Binary(op: .add, leftDims: [2, 3, 4], rightDims: [5], constant: WeightRef(offset: 0, count: 5), constantIsLeft: false, activation: .none))
    XCTAssertThrowsError(try plan(add, inputs: [x], output: same, weights: 5).validate()) {
      XCTAssertTrue("\($0)".contains("do not broadcast"), "\($0)")
    }
    // Matmul: [2, 3, 4] x [4, 4] is [2, 3, 4]; a [3, 4] right operand does not fit.
    let square = Kernel.matmul(MatMulStep(leftDims: [2, 3, 4], rightDims: [4, 4], constant: WeightRef(offset: 0, count: 16)))
    XCTAssertNoThrow(try plan(square, inputs: [x], output: same, weights: 16).validate())
    XCTAssertThrowsError(try plan(square, inputs: [x, x], output: same, weights: 16).validate()) {
      XCTAssertTrue("\($0)".contains("operand count"), "\($0)")
    }
    let misfit = Kernel.matmul(MatMulStep(leftDims: [2, 3, 4], rightDims: [3, 4], constant: WeightRef(offset: 0, count: 12)))
    XCTAssertThrowsError(try plan(misfit, inputs: [x], output: same, weights: 16).validate()) {
      XCTAssertTrue("\($0)".contains("does not fit"), "\($0)")
    }
    // Concat: the inputs add up along the axis and match elsewhere.
    XCTAssertNoThrow(try plan(.concat(axis: 1), inputs: [x], output: same).validate())
    XCTAssertThrowsError(try plan(.concat(axis: 1), inputs: [x, x], output: same).validate()) {
      XCTAssertTrue("\($0)".contains("add up to 6"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.concat(axis: 3), inputs: [x], output: same).validate())
    XCTAssertThrowsError(try plan(.concat(axis: 0), inputs: [x], output: y).validate()) {
      XCTAssertTrue("\($0)".contains("does not fit the output"), "\($0)")
    }
    // Gather: indices inside the axis, as many slices as the output holds.
    XCTAssertNoThrow(try plan(.gather(axis: 2, indices: [3, 0, 0, 1]), inputs: [x], output: same).validate())
    XCTAssertThrowsError(try plan(.gather(axis: 2, indices: [3, 0, 4, 1]), inputs: [x], output: same).validate()) {
      XCTAssertTrue("\($0)".contains("leave the 4 positions"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.gather(axis: 2, indices: [3, 0, 1]), inputs: [x], output: same).validate())
    XCTAssertThrowsError(try plan(.gather(axis: 2, indices: [3, 0, -1, 1]), inputs: [x], output: same).validate())
    XCTAssertThrowsError(try plan(.gather(axis: 3, indices: [0]), inputs: [x], output: same).validate())
    // Batch mean: a batched input into one dense copy of an item without the batch.
    func mean(into output: View, shape: [Int]) -> Plan {
      Plan(
        fixedBatch: nil, arenaFloatsPerItem: 32, arenaFixedFloats: (output.itemStride * output.items + 15) / 16 * 16,
        inputs: [TensorBinding(name: "x", view: x)],
        outputs: [TensorBinding(name: "y", view: output, shape: shape)],
        steps: [Step(name: "s", absorbed: ["s"], kernel: .batchMean, inputs: [x], output: output)], weightCount: 0)
    }
    XCTAssertNoThrow(try mean(into: View(base: 0, itemStride: 12, dims: [3, 4], items: 2), shape: [2, 3, 4]).validate())
    XCTAssertThrowsError(try mean(into: View(base: 0, itemStride: 12, dims: [3, 4], items: 1), shape: [3, 4]).validate()) {
      XCTAssertTrue("\($0)".contains("not one dense copy"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.batchMean, inputs: [x], output: same).validate()) {
      XCTAssertTrue("\($0)".contains("batch mean reads a batched input"), "\($0)")
    }
    // Conv-transpose: [2, 3, 4] by a 2x2 window at stride 1 into [2, 4, 5]; [C, M, 2, 2] weights.
    let transposed = ConvolutionTranspose(
      geometry: ConvTransposeGeometry(inChannels: 2, inSizes: [3, 4], outChannels: 1, outSizes: [4, 5], kernel: [2, 2]),
      weights: WeightRef(offset: 0, count: 8), bias: WeightRef(offset: 8, count: 1), activation: .none)
    let grown = View(base: 24, itemStride: 24, dims: [1, 4, 5])
    XCTAssertNoThrow(try plan(.convTranspose(transposed), inputs: [x], output: grown, weights: 9).validate())
    XCTAssertThrowsError(try plan(.convTranspose(transposed), inputs: [x], output: same, weights: 9).validate()) {
      XCTAssertTrue("\($0)".contains("conv-transpose writes 1x4x5"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.convTranspose(transposed), inputs: [x], output: grown, weights: 8).validate()) {
      XCTAssertTrue("\($0)".contains("bias weights"), "\($0)")
    }
    var packed = transposed
    packed.weightLayout = .gemmPanels  // 6 rows (a whole panel) by depth 2
    XCTAssertThrowsError(try plan(.convTranspose(packed), inputs: [x], output: grown, weights: 9).validate())
    packed.weights.count = 12
    packed.bias = nil
    XCTAssertNoThrow(try plan(.convTranspose(packed), inputs: [x], output: grown, weights: 12).validate())
    // Index copy: one table per output axis, each position inside its input axis or -1 (the fill);
    // a lower-rank input reads as having leading axes of size 1.
    let padded = View(base: 24, itemStride: 24, dims: [2, 4, 3])
    let tables = [[1, 0], [-1, 0, 2, -1], [3, 3, 0]]
    XCTAssertNoThrow(try plan(.indexCopy(sources: tables, fill: 0), inputs: [x], output: padded).validate())
    XCTAssertThrowsError(try plan(.indexCopy(sources: [[1, 0], [-1, 0, 3, -1], [3, 3, 0]], fill: 0), inputs: [x], output: padded).validate()) {
      XCTAssertTrue("\($0)".contains("reads outside the input's 3 positions"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.indexCopy(sources: [[1, 0], [0, 2, -2, 1], [3, 3, 0]], fill: 0), inputs: [x], output: padded).validate())
    XCTAssertThrowsError(try plan(.indexCopy(sources: [[1, 0], [0, 1, 2], [3, 3, 0]], fill: 0), inputs: [x], output: padded).validate()) {
      XCTAssertTrue("\($0)".contains("3 positions for 4"), "\($0)")
    }
    let expanded = View(base: 24, itemStride: 24, dims: [1, 2, 3, 4])
    XCTAssertNoThrow(try plan(.indexCopy(sources: [[0], [0, 1], [2, 1, 0], [0, 1, 2, 3]], fill: 0), inputs: [x], output: expanded).validate())
    XCTAssertThrowsError(try plan(.indexCopy(sources: [[0, 1], [0, 1, 2], [0, 1, 2, 3]], fill: 0), inputs: [x], output: y).validate())
    // Resize: the last two axes mapped, the others kept.
    let rows = ResizeAxis.linear(low: [0, 0, 1, 2], high: [1, 1, 2, 2], weights: [0, 0.5, 0.5, 0])
    let resized = View(base: 24, itemStride: 24, dims: [2, 4, 2])
    XCTAssertNoThrow(try plan(.resize(rows: rows, columns: ResizeAxis.linear(low: [0, 3], high: [1, 3], weights: [0.5, 0])), inputs: [x], output: resized).validate())
    XCTAssertThrowsError(try plan(.resize(rows: rows, columns: ResizeAxis.linear(low: [0, 4], high: [1, 3], weights: [0.5, 0])), inputs: [x], output: resized).validate()) {
      XCTAssertTrue("\($0)".contains("resize columns table does not map 2 positions into 4"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.resize(rows: rows, columns: ResizeAxis(identity: 2)), inputs: [x], output: View(base: 24, itemStride: 24, dims: [1, 4, 2])).validate())
    // Select: the run-time operands in order, constants in the weights, the three shapes broadcast to the output.
    let mask = View(base: 0, itemStride: 4, dims: [4])
    let select = Select(dims: [[4], [2, 3, 4], []], constants: [nil, nil, WeightRef(offset: 0, count: 1)])
    XCTAssertNoThrow(try plan(.select(select), inputs: [mask, x], output: same, weights: 1).validate())
    XCTAssertThrowsError(try plan(.select(select), inputs: [x, mask], output: same, weights: 1).validate()) {
      XCTAssertTrue("\($0)".contains("select operand 0 size mismatch"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.select(select), inputs: [mask], output: same, weights: 1).validate()) {
      XCTAssertTrue("\($0)".contains("select operand count mismatch"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.select(select), inputs: [mask, x], output: same, weights: 0).validate()) {
      XCTAssertTrue("\($0)".contains("y weights"), "\($0)")
    }
    XCTAssertThrowsError(try plan(.select(Select(dims: [[3], [2, 3, 4], []], constants: select.constants)), inputs: [View(base: 0, itemStride: 3, dims: [3]), x], output: same, weights: 1).validate()) {
      XCTAssertTrue("\($0)".contains("do not broadcast"), "\($0)")
    }
  }
}
