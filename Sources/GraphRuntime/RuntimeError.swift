import GraphPlan

/// An error raised by the runtime: files it cannot read, plans or tensors that are damaged
/// or do not fit the model. Switch on the case to decide what to do; ``message`` (also the
/// ``description``) says what was found, naming the file when there is one.
///
/// Runtime code reports problems with data it did not produce (files, user tensors)
/// through this type instead of trapping.
public enum RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A file that cannot be opened, mapped, read or written; `reason` is the system's words.
  case file(path: String, reason: String)
  /// Bytes that are not what they claim: a damaged or truncated plan, a malformed `.npy` file.
  case format(String)
  /// Something well formed this runtime does not handle: another plan format version, an
  /// `.npy` dtype or layout it cannot convert.
  case unsupported(String)
  /// Values that do not fill the shape they come with.
  case shape(String)
  /// Inputs or options that do not fit the model: a missing or unknown input, a wrong
  /// shape or batch size, a bad thread count.
  case input(String)
  /// A size over a ``Limits`` budget (a tensor, an input file, the arena): names the value, its
  /// size and the limit.
  case limit(LimitError)

  /// What went wrong, in words.
  public var message: String {
    switch self {
    case .file(let path, let reason): return "\(path): \(reason)"
    case .format(let m), .unsupported(let m), .shape(let m), .input(let m): return m
    case .limit(let e): return e.message
    }
  }

  /// The message, for printing.
  public var description: String { message }

  /// The plan library's error as the runtime reports it (same case, same words).
  init(_ error: PlanError) {
    switch error {
    case .format(let m): self = .format(m)
    case .unsupported(let m): self = .unsupported(m)
    case .shape(let m): self = .shape(m)
    }
  }

  /// The same error with `path: ` before its message (a file error already names its path).
  package func inFile(_ path: String) -> RuntimeError {
    switch self {
    case .file: return self
    case .format(let m): return .format("\(path): \(m)")
    case .unsupported(let m): return .unsupported("\(path): \(m)")
    case .shape(let m): return .shape("\(path): \(m)")
    case .input(let m): return .input("\(path): \(m)")
    case .limit(var e):
      e.what = "\(path): \(e.what)"
      return .limit(e)
    }
  }
}

/// The tensor type sessions take and return (defined with the plan format, which the
/// compiler's evaluator shares).
public typealias FloatTensor = GraphPlan.FloatTensor

/// The error `FloatTensor.init(shape:values:)` throws when values do not fill the shape.
public typealias PlanError = GraphPlan.PlanError

/// The graphc release this runtime belongs to (`GraphcVersion.current`).
public typealias GraphcVersion = GraphPlan.GraphcVersion

/// Which compiler release and source model made a plan (``CompiledModel/provenance``).
public typealias PlanProvenance = GraphPlan.PlanProvenance

/// The resource budgets a ``CompiledModel`` checks sizes against (shared with the compiler).
public typealias Limits = GraphPlan.Limits

/// A size over a ``Limits`` budget.
public typealias LimitError = GraphPlan.LimitError

/// The element type of a graph output (``CompiledModel/elementType(of:)``, ``TypedTensor``).
public typealias ElementType = GraphPlan.ElementType
