/// Which reduction a ``Kernel/reduce(_:)`` step performs over each row (ONNX's Reduce* family).
public enum ReduceKind: Sendable, Equatable, CaseIterable, BitwiseCopyable {
  /// `Σ x` (ReduceSum).
  case sum
  /// `Σ x / n` (ReduceMean; lowered to a global average pool, kept here for the reference).
  case mean
  /// The largest value, NaN if any is NaN (ReduceMax).
  case max
  /// The smallest value, NaN if any is NaN (ReduceMin).
  case min
  /// `sqrt(Σ x²)` (ReduceL2).
  case l2
  /// `Σ x²` (ReduceSumSquare).
  case sumSquare
  /// `Π x` (ReduceProd).
  case prod
  /// `log Σ e^x` (ReduceLogSumExp), taken as `m + log Σ e^(x - m)` with `m` the row's largest.
  case logSumExp
  /// `Σ |x|` (ReduceL1).
  case l1
  /// `log Σ x` (ReduceLogSum).
  case logSum
  /// The index of the row's largest value, the first on ties; a NaN counts as largest (ArgMax,
  /// as numpy). Indices are written as floats, exact below 2^24, which the compiler ensures.
  case argMax
  /// The index of the smallest value, the first on ties; a NaN counts as smallest (ArgMin).
  case argMin
  /// ``argMax`` taking the last index on ties (ArgMax's `select_last_index`).
  case argMaxLast
  /// ``argMin`` taking the last index on ties.
  case argMinLast

  /// `sum`, `max`, `l2`, `logsumexp`, ...: how listings name the kind.
  public var name: String {
    switch self {
    case .sum: "sum"
    case .mean: "mean"
    case .max: "max"
    case .min: "min"
    case .l2: "l2"
    case .sumSquare: "sumsquare"
    case .prod: "prod"
    case .logSumExp: "logsumexp"
    case .l1: "l1"
    case .logSum: "logsum"
    case .argMax: "argmax"
    case .argMin: "argmin"
    case .argMaxLast: "argmax-last"
    case .argMinLast: "argmin-last"
    }
  }
}

/// A reduction of each row of input 0, viewed as `[rows, ...]`, to one value per row
/// (``Kernel/reduce(_:)``): ONNX ReduceSum/Max/Min/L1/L2/SumSquare/Prod/LogSum/LogSumExp and ArgMax/ArgMin over trailing axes
/// (the lowering moves other axes there first), laid out like a global pool.
struct ReduceStep: StepKind {
  var kind: ReduceKind

  static let tag: UInt8 = 22
  static let name = "reduce"

  // Never renumber: the index in `allCases` is the on-disk code.
  func encode(_ w: inout ByteWriter) { w.u8(UInt8(ReduceKind.allCases.firstIndex(of: kind)!)) }

  static func decode(_ r: inout ByteReader) throws -> Kernel {
    let code = Int(try r.u8())
    guard code < ReduceKind.allCases.count else { throw PlanError.format("\(r.context): unknown reduction \(code)") }
    return .reduce(ReduceKind.allCases[code])
  }

  func validate(_ check: StepCheck) throws {
    let inputs = check.step.inputs
    try check.expect(inputs.count == 1 && inputs[0].dims.count >= 2, "a reduction needs one [rows, ...] input")
    try check.expect(check.outCount == inputs[0].dims[0], "a reduction's output must hold one value per row")
  }

  var summary: String { "reduce-\(kind.name)" }
}
