import GraphPlan
import XCTest

/// Asserts `|a - b| <= atol + rtol * |b|` element-wise, reporting the first mismatch.
public func assertClose(
  _ actual: [Float], _ expected: [Float], atol: Float = 1e-5, rtol: Float = 1e-5, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
  for i in 0..<min(actual.count, expected.count) {
    let a = actual[i], e = expected[i]
    if a == e { continue }
    if a.isNaN || e.isNaN || abs(a - e) > atol + rtol * abs(e) {
      XCTFail("\(message): element \(i) is \(a), expected \(e)", file: file, line: line)
      return
    }
  }
}

/// `max |a - e| ≤ relative × max |e| + 1e-6` for every named output, with equal shapes.
public func assertClose(
  _ actual: [String: FloatTensor], _ expected: [String: FloatTensor], relative: Float = 1e-5, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(Set(actual.keys), Set(expected.keys), "outputs \(message)", file: file, line: line)
  for (name, e) in expected {
    guard let a = actual[name] else { continue }
    XCTAssertEqual(a.shape, e.shape, "shape of '\(name)' \(message)", file: file, line: line)
    guard a.values.count == e.values.count else { continue }
    let scale = e.values.map(abs).max() ?? 0
    let diff = zip(a.values, e.values).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(diff, relative * scale + 1e-6, "'\(name)' \(message): max diff \(diff), max |ref| \(scale)", file: file, line: line)
  }
}

/// Asserts bit-identical arrays (thread-count independence).
public func assertIdentical(
  _ actual: [Float], _ expected: [Float], _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, file: file, line: line)
  if let i = actual.indices.first(where: { i in i < expected.count && actual[i].bitPattern != expected[i].bitPattern }) {
    XCTFail("\(message): element \(i) differs, \(actual[i]) vs \(expected[i])", file: file, line: line)
  }
}
