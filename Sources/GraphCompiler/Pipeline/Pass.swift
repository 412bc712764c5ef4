import GraphIR
import GraphPlan

/// One rewrite of the graph: small, named, printable with `--print-after NAME`.
public protocol Pass: Sendable {
  /// The name `--print-after` takes, e.g. `fold-batchnorm`.
  var name: String { get }
  func run(_ context: CompilationContext) throws
}

/// What the passes share: the model being rewritten, known shapes, and the report.
public final class CompilationContext {
  public var model: Model
  /// Shape of every value, filled by the `infer-shapes` pass and kept up to date by later passes.
  public var shapes: [String: Shape] = [:]
  /// Element type of every value, from the same inference (values made by later passes keep their source's).
  public var elementTypes: [String: DataType] = [:]
  /// Integer values whose elements inference knows (shape arithmetic), by name; see ``InferredValue/knownIntegers``.
  public var knownIntegers: [String: [Int]] = [:]
  public var report = CompileReport()
  /// The program once lowered; what `--print-after` shows from `lower` on.
  var lowered: LoweredProgram?
  /// The plan listing once memory is planned.
  var planListing: String?
  /// What fusion folded into each fused node (by node name): typed, never string attributes.
  public var fusions: [String: Fusion] = [:]
  /// Symbol values fixed by `--batch` (e.g. ["N": 4]).
  public let bindings: [String: Int]
  /// Budgets for what the passes compute from the model (folded constants).
  public let limits: Limits
  /// Whether 3x3 convs may run as Winograd (``Pipeline/Options/winograd``).
  public let winograd: Bool

  public init(model: Model, bindings: [String: Int] = [:], limits: Limits = .machine, winograd: Bool = true) {
    self.model = model
    self.bindings = bindings
    self.limits = limits
    self.winograd = winograd
  }

  public var graph: Graph {
    get { model.graph }
    set { model.graph = newValue }
  }

  /// The graph as text with shapes and what each fused node absorbed, or the lowered
  /// program once there is one (`--print-after`).
  public var text: String {
    planListing ?? lowered?.description ?? TextPrinter.text(graph, shapes: shapes, notes: fusions.mapValues(\.description))
  }
}

/// What a fused node absorbed: the activation it applies last and the graph nodes it stands for.
public struct Fusion: Equatable, Sendable, CustomStringConvertible {
  public var activation: Activation
  public var absorbed: [String]

  /// `fused [conv + relu] relu`.
  public var description: String {
    let act = PlanDescription.activation(activation)
    return "fused [\(absorbed.joined(separator: " + "))]" + (act.isEmpty ? "" : " " + act)
  }
}

/// Counters every pass adds to; `graphc compile --json` prints them.
public struct CompileReport: Equatable, Sendable {
  public var nodesIn = 0
  public var steps = 0
  public var batchnormFolded = 0
  public var affineFolded = 0
  public var convRelu = 0
  public var convAddRelu = 0
  public var gemmRelu = 0
  public var concatInPlace = 0
  public var copyBytes = 0
  public var arenaBytes = 0
  public var lowerBoundBytes = 0
  public var naiveBytes = 0
  public var weightsBytes = 0
  public var memoryStrategy = ""
  /// 2-D convs by how they run and, when not as Winograd, why (see `SelectWinograd.algorithm`).
  public var convAlgorithms: [String: Int] = [:]
  /// Whether the byte figures are per batch item (symbolic batch) or for the fixed batch.
  public var batch: Int? = nil

  public init() {}
}
