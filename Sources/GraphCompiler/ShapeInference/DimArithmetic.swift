import GraphIR

/// A product of dims: an integer coefficient times symbols, so `N x 16 x 5 x 5`
/// divided by `N` gives 400 and Reshape's -1 resolves under a symbolic batch.
///
/// A product that stays symbolic prints as a composite symbol such as `N*400`;
/// such symbols are split again on `*` when they take part in another product.
struct DimProduct: Equatable {
  var coefficient: Int
  /// Sorted, with repeats.
  var symbols: [String]

  static let one = DimProduct(coefficient: 1, symbols: [])

  init(coefficient: Int, symbols: [String]) {
    self.coefficient = coefficient
    self.symbols = symbols.sorted()
  }

  init(_ dim: Dim) {
    switch dim {
    case .fixed(let v): self.init(coefficient: v, symbols: [])
    case .symbol(let s):
      var coefficient = 1
      var symbols: [String] = []
      for part in Self.factors(s) {
        if let v = Int(part), v >= 0, case let (p, false) = coefficient.multipliedReportingOverflow(by: v) {
          coefficient = p
        } else {
          symbols.append(part)
        }
      }
      self.init(coefficient: coefficient, symbols: symbols.isEmpty ? [s] : symbols)
    }
  }

  /// The product of `dims`, or nil when the fixed part overflows.
  static func of(_ dims: some Sequence<Dim>) -> DimProduct? {
    var result = DimProduct.one
    for d in dims {
      guard let next = result.times(DimProduct(d)) else { return nil }
      result = next
    }
    return result
  }

  func times(_ other: DimProduct) -> DimProduct? {
    let (c, overflow) = coefficient.multipliedReportingOverflow(by: other.coefficient)
    guard !overflow else { return nil }
    return DimProduct(coefficient: c, symbols: symbols + other.symbols)
  }

  /// `self / other` when it divides exactly (every symbol of `other` cancels).
  func dividing(by other: DimProduct) -> DimProduct? {
    guard other.coefficient != 0, coefficient % other.coefficient == 0 else { return nil }
    var remaining = symbols
    for s in other.symbols {
      guard let i = remaining.firstIndex(of: s) else { return nil }
      remaining.remove(at: i)
    }
    return DimProduct(coefficient: coefficient / other.coefficient, symbols: remaining)
  }

  var dim: Dim {
    if symbols.isEmpty { return .fixed(coefficient) }
    if coefficient == 0 { return .fixed(0) }
    if coefficient == 1 && symbols.count == 1 { return .symbol(symbols[0]) }
    let factors = symbols.map { Self.isAtomic($0) ? $0 : "(\($0))" }
    return .symbol(((coefficient == 1 ? [] : [String(coefficient)]) + factors).joined(separator: "*"))
  }

  /// The factors of a composite symbol: split on the `*`s outside parentheses, one pair of
  /// parentheses around a whole factor (`(H-2)` in `N*8*(H-2)`) taken off again.
  static func factors(_ symbol: String) -> [String] {
    var parts: [String] = [], current = "", depth = 0
    for c in symbol {
      if c == "(" { depth += 1 }
      if c == ")" { depth -= 1 }
      if c == "*" && depth == 0 {
        parts.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    parts.append(current)
    return parts.map(unwrapped)
  }

  /// Whether `symbol` reads as one factor as it is (a name, not an expression such as `H-2`).
  static func isAtomic(_ symbol: String) -> Bool {
    symbol.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == ":" }
  }

  /// `(H-2)` → `H-2` when the parentheses enclose it all (not in `(H-3)/2+1`).
  private static func unwrapped(_ s: String) -> String {
    guard s.first == "(", s.last == ")" else { return s }
    var depth = 0
    for (i, c) in s.enumerated() {
      if c == "(" { depth += 1 }
      if c == ")" { depth -= 1 }
      if depth == 0 && i < s.count - 1 { return s }
    }
    return String(s.dropFirst().dropLast())
  }
}

enum DimArithmetic {
  /// The sum of dims (Concat's axis): an integer when all are known, else a composite symbol `N+3`.
  static func sum(_ dims: [Dim]) -> Dim? {
    if let values = Shape(dims).fixedDims {
      var total = 0
      for v in values {
        let (s, overflow) = total.addingReportingOverflow(v)
        guard !overflow else { return nil }
        total = s
      }
      return .fixed(total)
    }
    return .symbol(dims.map(\.description).joined(separator: "+"))
  }

  /// Multidirectional (numpy) broadcasting of two shapes, or nil when they cannot broadcast.
  /// A symbol broadcasts with 1 and with itself; against a fixed size k > 1 it is taken to be k.
  static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
    let rank = max(a.rank, b.rank)
    var out: [Dim] = []
    for i in 0..<rank {
      let da = i < rank - a.rank ? Dim.fixed(1) : a.dims[i - (rank - a.rank)]
      let db = i < rank - b.rank ? Dim.fixed(1) : b.dims[i - (rank - b.rank)]
      switch (da, db) {
      case (.fixed(1), _): out.append(db)
      case (_, .fixed(1)): out.append(da)
      case (.fixed(let x), .fixed(let y)):
        guard x == y else { return nil }
        out.append(da)
      case (.symbol(let x), .symbol(let y)):
        guard x == y else { return nil }
        out.append(da)
      case (.symbol, .fixed): out.append(db)
      case (.fixed, .symbol): out.append(da)
      }
    }
    return Shape(out)
  }

  /// Whether `b` broadcasts to `target` in one direction (Gemm's C).
  static func broadcastsTo(_ b: Shape, _ target: Shape) -> Bool {
    guard b.rank <= target.rank, let result = broadcast(b, target) else { return false }
    return result == target
  }
}
