import GraphRuntime

/// NaN and infinities in an output. A model fed a NaN (or overflowing) gives NaN scores that
/// still sort into a "top class", so graphrun says so on stderr, flags it in JSON, and with
/// `--strict` exits 1.
struct NonFinite: Equatable {
  var nan = 0
  var infinite = 0
  var total = 0

  init(_ values: [Float]) {
    total = values.count
    for v in values where !v.isFinite {
      if v.isNaN { nan += 1 } else { infinite += 1 }
    }
  }

  var isEmpty: Bool { nan == 0 && infinite == 0 }

  /// `{"nan": 3, "inf": 1}` for an output's JSON.
  var json: [String: Any] { ["nan": nan, "inf": infinite] }

  /// One warning line per output that holds NaN or an infinity (none when all are finite).
  static func warnings(_ outputs: [String: TypedTensor], order: [String], file: String? = nil) -> [String] {
    order.compactMap { name in
      guard let t = try? outputs[name]?.floats() else { return nil }  // bools and integers are always finite
      let found = NonFinite(t.values)
      guard !found.isEmpty else { return nil }
      let parts = [found.nan > 0 ? "\(found.nan) NaN" : nil, found.infinite > 0 ? "\(found.infinite) infinite" : nil].compactMap { $0 }
      return "warning: \(file.map { "\($0): " } ?? "")output '\(name)' holds \(parts.joined(separator: " and ")) of \(found.total) values"
        + " (see docs/numerics.md; --strict makes this an error)"
    }
  }
}
