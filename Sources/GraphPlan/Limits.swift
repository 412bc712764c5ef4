#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resource budgets for sizes that come from files: what the compiler and the runtime may
/// allocate for one model before they refuse it with an error naming the value, its size and
/// the limit (instead of aborting, or taking the machine's memory).
///
/// The defaults follow from the machine's physical memory (``machine``); `--max-memory SIZE`
/// on graphc and graphrun, or ``init(memory:)`` in code, derives the same budgets from another
/// total. Every field may also be set on its own.
public struct Limits: Sendable, Equatable {
  /// Bytes of one tensor: an ONNX initializer (inline or external data), a folded constant,
  /// an input file's values.
  public var maxTensorBytes: Int
  /// Bytes of all constants the compiler computes while folding, together.
  public var maxFoldedBytes: Int
  /// Bytes of all initializers a model declares, together (its weights).
  public var maxWeightBytes: Int
  /// Bytes of one session's arena and convolution workspace, together, at its batch.
  public var maxArenaBytes: Int
  /// Nodes in a model, subgraphs included.
  public var maxNodes: Int
  /// How deeply subgraphs (If/Loop bodies) may nest.
  public var maxNestingDepth: Int

  /// Budgets out of `memory` bytes: half of it for one tensor, the weights, or a session's
  /// arena; a quarter for folded constants; a node per 4 KiB; 64 levels of subgraphs.
  public init(memory: Int) {
    let memory = max(memory, 1)
    maxTensorBytes = memory / 2
    maxFoldedBytes = memory / 4
    maxWeightBytes = memory / 2
    maxArenaBytes = memory / 2
    maxNodes = max(memory / 4096, 1)
    maxNestingDepth = 64
  }

  /// Budgets out of a size written as ``parseBytes(_:)`` reads it (`2G`), or nil.
  public init?(memory text: String) {
    guard let bytes = Self.parseBytes(text) else { return nil }
    self.init(memory: bytes)
  }

  /// What `--max-memory SIZE` does, for the CLIs' help.
  public static let memoryHelp =
    "Budget the sizes this model and its inputs declare out of SIZE bytes (e.g. 2G, 512M) instead of this machine's memory (\(physicalMemory >> 20) MiB): one tensor, all weights or a session's arena at most half of it, constants folded at compile time a quarter. A file that declares more is refused with an error naming the value, its size and the limit."

  /// The budgets for this machine's physical memory.
  public static let machine = Limits(memory: physicalMemory)

  /// Physical memory in bytes (or `Int.max` where the system will not say).
  public static let physicalMemory: Int = {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return Int.max }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: size)
    return overflow ? Int.max : bytes
  }()

  /// Checks `count` elements of `elementSize` bytes against `limit`; returns the bytes.
  /// - Parameters:
  ///   - what: the value, for the message (`tensor 'fc.weight'`, `the arena for batch 8`).
  ///   - limit: which budget (``maxTensorBytes``…), named in the message.
  /// - Throws: ``LimitError`` when the size overflows or is over the limit.
  @discardableResult
  public func check(_ what: String, count: Int, elementSize: Int = 1, against limit: KeyPath<Limits, Int>) throws(LimitError) -> Int {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
    let allowed = self[keyPath: limit]
    guard count >= 0, !overflow, bytes <= allowed else {
      throw LimitError(what: what, bytes: overflow || count < 0 ? nil : bytes, limit: Self.name(limit), allowed: allowed)
    }
    return bytes
  }

  /// The flag-style name of a budget, for messages.
  static func name(_ limit: KeyPath<Limits, Int>) -> String {
    switch limit {
    case \Limits.maxTensorBytes: return "max tensor bytes"
    case \Limits.maxFoldedBytes: return "max folded-constant bytes"
    case \Limits.maxWeightBytes: return "max weight bytes"
    case \Limits.maxArenaBytes: return "max arena + workspace bytes"
    case \Limits.maxNodes: return "max nodes"
    case \Limits.maxNestingDepth: return "max nesting depth"
    default: return "limit"
    }
  }

  /// Parses a size such as `2G`, `512M`, `64K`, `1.5G` or `1000000` (bytes; K, M, G, T are
  /// powers of 1024, an optional trailing `B` or `iB` is accepted). Nil for anything else.
  public static func parseBytes(_ text: String) -> Int? {
    var digits = Substring(text.uppercased())
    for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
      digits = digits.dropLast(suffix.count)
      break
    }
    var scale = 1.0
    if let unit = digits.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][unit] {
      scale = Double(1 << (10 * power))
      digits = digits.dropLast()
    }
    guard let number = Double(digits), number.isFinite, number > 0 else { return nil }
    let bytes = (number * scale).rounded(.down)
    guard bytes >= 1, bytes < 0x1p62 else { return nil }
    return Int(bytes)
  }
}

/// A size over a ``Limits`` budget: names the value, its size and the limit.
public struct LimitError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What was to be allocated (`tensor 'w' (external data)`, `the arena for batch 8`).
  public var what: String
  /// Its size in bytes; nil when it does not even fit 63 bits.
  public var bytes: Int?
  /// Which budget (`max tensor bytes`).
  public var limit: String
  /// The budget in bytes (or count, for nodes and depth).
  public var allowed: Int

  /// What went wrong, in words, with the way out.
  public var message: String {
    let size = bytes.map { "\($0)" } ?? "more than 2^63"
    let ending = "(raise it with --max-memory SIZE, or set Limits in code)"
    guard limit.hasSuffix("bytes") else { return "\(what) is \(size), over the \(limit) limit of \(allowed) \(ending)" }
    return "\(what) needs \(size) bytes, over the \(limit) limit of \(allowed) bytes \(ending)"
  }

  public var description: String { message }
}
