/// The kernels a plan step can name, with their parameters.
///
/// Shapes are per batch item (NCHW without N); the batch comes from the session.
public enum Kernel: Equatable, Sendable {
  /// 2-D convolution. Input view [C, H, W], output [M, OH, OW]; optional second
  /// input is a residual added before the activation.
  case conv(Convolution)
  /// Max or average pooling over [C, H, W].
  case pool(Pooling)
  /// Global max or average pooling to [C, 1, 1].
  case globalPool(PoolKind)
  /// Fully connected: input [K] per item, output [N]; weights [N, K] row-major.
  case dense(Dense)
  /// Element-wise binary op with NumPy broadcasting of per-item shapes.
  /// A constant operand is given as weights; the other operand is input 0.
  case binary(Binary)
  /// Per-channel `x * scale[c] + shift[c]` then activation (an unfused BatchNorm).
  case channelAffine(scale: WeightRef, shift: WeightRef, activation: Activation)
  /// Element-wise activation of input 0.
  case activation(Activation)
  /// Local response normalization across channels.
  case lrn(size: Int, alpha: Float, beta: Float, bias: Float)
  /// Softmax along a per-item axis, over the per-item dims.
  case softmax(axis: Int)
  /// Permutation of the per-item axes.
  case transpose(perm: [Int])
  /// Copies input 0 into the output view (a concat that could not be done in place).
  case copy
  /// A strided window of input 0: output element `i` along per-item axis `d` reads input element
  /// `starts[d] + i * steps[d]` (ONNX Slice, and each output of Split).
  case slice(starts: [Int], steps: [Int])
  /// Layer normalization of each row spanned by the per-item axes from `axis` on, then
  /// `* scale + bias` per position in the row (ONNX LayerNormalization).
  case layerNorm(axis: Int, epsilon: Float, scale: WeightRef, bias: WeightRef?)
  /// Layer normalization across the channels (per-item axis 0) at each position, then
  /// `* scale[c] + bias[c]` (ONNX LayerNormalization over the channel axis, kept in NCHW).
  case channelNorm(epsilon: Float, scale: WeightRef, bias: WeightRef?)
  /// Copies a range of the weights into each item of the output (a constant graph output).
  case constant(WeightRef)
  /// Batched matrix product of per-item operands with NumPy broadcasting (ONNX MatMul).
  case matmul(MatMulStep)
  /// Joins the inputs along a per-item axis (ONNX Concat off the channels).
  case concat(axis: Int)
  /// Slices of input 0 at constant positions along a per-item axis (ONNX Gather).
  case gather(axis: Int, indices: [Int])
  /// The mean over the batch items of input 0, into a value without the batch (ONNX ReduceMean
  /// over the batch axis).
  case batchMean
  /// Convolution over three or more spatial axes. Input view [C, D, H, W, ...], output
  /// [M, OD, OH, OW, ...]; optional second input is a residual added before the activation.
  case convND(ConvolutionND)
  /// Max or average pooling over three or more spatial axes.
  case poolND(PoolingND)
  /// One value per row of input 0 viewed as `[rows, ...]`: ONNX ReduceSum, ReduceMax and the rest
  /// of the family (ReduceMean keeps the global average pool).
  case reduce(ReduceKind)
  /// LogSoftmax along a per-item axis, over the per-item dims.
  case logSoftmax(axis: Int)
  /// Input 0 read through one table of source positions per output axis, -1 reading `fill`
  /// (ONNX Pad, Expand, Tile, nearest Resize).
  case indexCopy(sources: [[Int]], fill: Float)
  /// Weighted taps per output position over the last two per-item axes (ONNX Resize, linear and cubic).
  case resize(rows: ResizeAxis, columns: ResizeAxis)
  /// Transposed convolution over one or more spatial axes (ONNX ConvTranspose). Input view
  /// [C, d1, ...], output [M, o1, ...].
  case convTranspose(ConvolutionTranspose)
  /// `condition != 0 ? x : y` with NumPy broadcasting of the three (ONNX Where).
  case select(Select)
  /// The `k` largest (or smallest) values of each row of input 0 viewed as `[rows, ...]`, in
  /// order, or their indices as floats (ONNX TopK: one step per output).
  case topK(k: Int, largest: Bool, indices: Bool)
  /// Running sums along a per-item axis (ONNX CumSum): `exclusive` leaves each element out of
  /// its own sum, `reverse` sums from the end.
  case cumSum(axis: Int, exclusive: Bool, reverse: Bool)

  /// Whether an input may have one item that every output item reads (a value without the
  /// batch as an operand of a batched step); other steps take inputs with the output's items.
  public var readsSharedItems: Bool {
    switch self {
    case .binary, .matmul, .select: return true
    default: return false
    }
  }

  /// Whether the step reads every batch item of its input at once, into an output without the
  /// batch (written once per run, not per item).
  public var spansItems: Bool { self == .batchMean }
}

// MARK: - One definition per step kind

/// What each step kind defines, together in its own file under `Steps/`: its on-disk tag,
/// encoding, decoding, validation and wording. A new kind is that file, a case above, and
/// one line in ``registry`` and in ``step``.
protocol StepKind: Sendable {
  /// The kind's tag in the plan file; never renumber.
  static var tag: UInt8 { get }
  /// Short name, used for counts, colors and JSON: `conv`, `pool`, `dense`, ...
  static var name: String { get }
  /// Reads the parameters ``encode(_:)`` wrote (the tag already read).
  static func decode(_ r: inout ByteReader) throws -> Kernel
  /// Writes the parameters (the tag already written).
  func encode(_ w: inout ByteWriter)
  /// Checks the parameters agree with the step's operands, so the kernel can index without checks.
  func validate(_ check: StepCheck) throws
  /// The parameters in words, e.g. `conv 3x3/2 64→128 relu +residual`.
  var summary: String { get }
}

extension Kernel {
  /// Every step kind (tag order).
  static let registry: [any StepKind.Type] = [
    Convolution.self, Pooling.self, GlobalPoolStep.self, Dense.self, Binary.self, ChannelAffineStep.self,
    ActivationStep.self, LRNStep.self, SoftmaxStep.self, TransposeStep.self, CopyStep.self, SliceStep.self,
    LayerNormStep.self, ChannelNormStep.self, ConstantStep.self, MatMulStep.self, ConcatStep.self, GatherStep.self,
    BatchMeanStep.self,
    ConvolutionND.self, PoolingND.self, ReduceStep.self, LogSoftmaxStep.self, ConvolutionTranspose.self, Select.self,
    IndexCopyStep.self, ResizeStep.self, TopKStep.self, CumSumStep.self,
  ]

  /// The kind and parameters of this kernel, for dispatch.
  var step: any StepKind {
    switch self {
    case .conv(let c): return c
    case .pool(let p): return p
    case .globalPool(let kind): return GlobalPoolStep(kind: kind)
    case .dense(let d): return d
    case .binary(let b): return b
    case .channelAffine(let scale, let shift, let activation): return ChannelAffineStep(scale: scale, shift: shift, activation: activation)
    case .activation(let a): return ActivationStep(activation: a)
    case .lrn(let size, let alpha, let beta, let bias): return LRNStep(size: size, alpha: alpha, beta: beta, bias: bias)
    case .softmax(let axis): return SoftmaxStep(axis: axis)
    case .transpose(let perm): return TransposeStep(perm: perm)
    case .copy: return CopyStep()
    case .slice(let starts, let steps): return SliceStep(starts: starts, steps: steps)
    case .layerNorm(let axis, let epsilon, let scale, let bias): return LayerNormStep(axis: axis, epsilon: epsilon, scale: scale, bias: bias)
    case .channelNorm(let epsilon, let scale, let bias): return ChannelNormStep(epsilon: epsilon, scale: scale, bias: bias)
    case .constant(let values): return ConstantStep(values: values)
    case .matmul(let m): return m
    case .concat(let axis): return ConcatStep(axis: axis)
    case .gather(let axis, let indices): return GatherStep(axis: axis, indices: indices)
    case .batchMean: return BatchMeanStep()
    case .convND(let c): return c
    case .poolND(let p): return p
    case .reduce(let kind): return ReduceStep(kind: kind)
    case .logSoftmax(let axis): return LogSoftmaxStep(axis: axis)
    case .indexCopy(let sources, let fill): return IndexCopyStep(sources: sources, fill: fill)
    case .resize(let rows, let columns): return ResizeStep(rows: rows, columns: columns)
    case .convTranspose(let c): return c
    case .select(let s): return s
    case .topK(let k, let largest, let indices): return TopKStep(k: k, largest: largest, indices: indices)
    case .cumSum(let axis, let exclusive, let reverse): return CumSumStep(axis: axis, exclusive: exclusive, reverse: reverse)
    }
  }
}

extension ByteWriter {
  mutating func kernel(_ k: Kernel) {
    let step = k.step
    u8(type(of: step).tag)
    step.encode(&self)
  }
}

extension ByteReader {
  mutating func kernel() throws -> Kernel {
    let tag = try u8()
    guard let kind = Kernel.registry.first(where: { $0.tag == tag }) else {
      throw PlanError.format("\(context): unknown kernel tag \(tag)")
    }
    return try kind.decode(&self)
  }
}

/// What a step kind's validation sees: the step and checks that word failures alike for every kind.
struct StepCheck {
  /// The step being checked.
  let step: Step
  /// The plan's weight count.
  let weightCount: Int
  /// The file or plan name errors start with.
  let source: String

  /// `step 'name'`.
  var label: String { "step '\(step.name)'" }
  /// Floats per item of input 0 (0 without inputs).
  var inCount: Int { step.inputs.first?.itemCount ?? 0 }
  /// Floats per item of the output.
  var outCount: Int { step.output.itemCount }

  /// Throws `what` about this step unless `condition` holds.
  func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw PlanError.format("\(source): \(label): \(what())") }
  }

  /// Runs `validate`, putting this step's name before any error it throws.
  func expectValid(_ validate: () throws -> Void) throws {
    do { try validate() } catch let e as PlanError { throw e.prefixed("\(source): \(label)") }
  }

  /// Checks `w` holds `count` floats inside the weights.
  func weights(_ w: WeightRef, count: Int, _ what: String) throws {
    guard w.offset >= 0, w.count == count, w.offset <= weightCount, w.count <= weightCount - w.offset else {
      throw PlanError.format(
        "\(source): \(label) \(what) weights (offset \(w.offset), count \(w.count), expected \(count)) lie outside the \(weightCount) weights")
    }
  }

  /// Kernels address sliced outputs by channel: the slice must start and span whole channel planes.
  func expectChannelSlice(plane: Int) throws {
    let v = step.output
    try expect(plane > 0 && v.inner % plane == 0 && v.itemStride % plane == 0, "output is not a whole-channel slice")
  }
}
