/// The three fields of an `.npy` header, a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NPYHeader {
  var descr: String
  var fortranOrder: Bool
  var shape: [Int]

  /// Extracts the fields by key; tolerant of spacing and key order, strict about values.
  static func parse(_ text: String) throws -> NPYHeader {
    guard let descr = value(of: "descr", in: text), let order = value(of: "fortran_order", in: text),
      let shapeText = value(of: "shape", in: text)
    else {
      throw RuntimeError.format(".npy header is malformed: \(text.prefix(120))")
    }
    let quote: Set<Character> = ["'", "\""]
    guard descr.count >= 2, let first = descr.first, quote.contains(first), descr.last == first else {
      throw RuntimeError.format(".npy header has a descr that is not a plain string: \(descr)")
    }
    let fortran: Bool
    switch order {
    case "False": fortran = false
    case "True": fortran = true
    default: throw RuntimeError.format(".npy header has fortran_order '\(order)'")
    }
    guard shapeText.first == "(", shapeText.last == ")" else {
      throw RuntimeError.format(".npy header has a shape that is not a tuple: \(shapeText)")
    }
    var shape: [Int] = []
    for part in shapeText.dropFirst().dropLast().split(separator: ",") {
      let trimmed = part.filter { $0 != " " && $0 != "L" }
      if trimmed.isEmpty { continue }
      guard let d = Int(trimmed), d >= 0 else { throw RuntimeError.format(".npy header has a bad dimension '\(part)'") }
      shape.append(d)
    }
    return NPYHeader(descr: String(descr.dropFirst().dropLast()), fortranOrder: fortran, shape: shape)
  }

  /// The raw text of the value following `'key':`, up to the next top-level comma or `}`.
  private static func value(of key: String, in text: String) -> String? {
    let chars = Array(text)
    for quote in ["'", "\""] {
      let pattern = Array(quote + key + quote)
      guard let start = find(pattern, in: chars) else { continue }
      var i = start + pattern.count
      while i < chars.count && chars[i] == " " { i += 1 }
      guard i < chars.count, chars[i] == ":" else { return nil }
      i += 1
      while i < chars.count && chars[i] == " " { i += 1 }
      var depth = 0
      var end = i
      while end < chars.count {
        let c = chars[end]
        if c == "(" { depth += 1 }
        if c == ")" { depth -= 1 }
        if depth == 0 && (c == "," || c == "}") { break }
        end += 1
      }
      return String(chars[i..<end]).trimmingSpaces()
    }
    return nil
  }

  private static func find(_ pattern: [Character], in chars: [Character]) -> Int? {
    guard pattern.count <= chars.count else { return nil }
    for start in 0...(chars.count - pattern.count) where Array(chars[start..<(start + pattern.count)]) == pattern {
      return start
    }
    return nil
  }
}

extension String {
  fileprivate func trimmingSpaces() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\n" || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\n" || l == "\t" { s = s.dropLast() }
    return String(s)
  }
}
