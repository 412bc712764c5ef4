/// One dimension of a shape: a known size or a named symbol such as the batch `N`.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
  case fixed(Int)
  case symbol(String)

  /// The size when it is known.
  public var value: Int? {
    if case .fixed(let v) = self { return v }
    return nil
  }

  public var description: String {
    switch self {
    case .fixed(let v): return String(v)
    case .symbol(let s): return s
    }
  }
}

/// A tensor shape whose dims may be symbolic.
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
  public var dims: [Dim]

  public init(_ dims: [Dim]) { self.dims = dims }
  public init(fixed: [Int]) { self.dims = fixed.map(Dim.fixed) }
  public init(arrayLiteral elements: Dim...) { self.dims = elements }

  public var rank: Int { dims.count }

  /// All dims as integers, or nil when any is symbolic.
  public var fixedDims: [Int]? {
    var out: [Int] = []
    out.reserveCapacity(dims.count)
    for d in dims {
      guard let v = d.value else { return nil }
      out.append(v)
    }
    return out
  }

  /// Element count when every dim is known.
  public var elementCount: Int? { fixedDims.map { $0.reduce(1, *) } }

  /// The symbols this shape mentions, in order of first appearance.
  public var symbols: [String] {
    var seen: [String] = []
    for case .symbol(let s) in dims where !seen.contains(s) { seen.append(s) }
    return seen
  }

  /// Replaces each symbol found in `bindings` by its value.
  public func binding(_ bindings: [String: Int]) -> Shape {
    Shape(dims.map { d in
      if case .symbol(let s) = d, let v = bindings[s] { return .fixed(v) }
      return d
    })
  }

  public subscript(i: Int) -> Dim {
    get { dims[i] }
    set { dims[i] = newValue }
  }

  /// `1x3x224x224`, `Nx64x112x112`; a scalar prints as `scalar`.
  public var description: String {
    dims.isEmpty ? "scalar" : dims.map(\.description).joined(separator: "x")
  }
}

extension Dim: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
  public init(integerLiteral value: Int) { self = .fixed(value) }
  public init(stringLiteral value: String) { self = .symbol(value) }
}
