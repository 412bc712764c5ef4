import Foundation

/// Progress of a batch run on stderr: a bar redrawn in place on a terminal, a plain line every
/// few seconds otherwise (logs, CI), nothing when quiet.
struct Progress {
  enum Style { case bar, lines, quiet }

  let style: Style
  let total: Int
  private let start = Progress.now()
  private var lastPrint = 0.0
  private(set) var done = 0
  private(set) var items = 0

  init(total: Int, quiet: Bool) {
    self.total = total
    style = quiet ? .quiet : isatty(STDERR_FILENO) == 1 ? .bar : .lines
  }

  static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  var elapsed: Double { Progress.now() - start }

  /// Items per second so far.
  var rate: Double { elapsed > 0 ? Double(items) / elapsed : 0 }

  /// Records `files` more inputs done holding `items` items, and shows it when it is time to.
  mutating func advance(files: Int, items: Int) {
    done += files
    self.items += items
    let t = elapsed
    // A terminal redraws at most 10 times a second; a log gets a line every 5 seconds.
    guard style != .quiet, done == total || t - lastPrint >= (style == .bar ? 0.1 : 5) else { return }
    lastPrint = t
    let eta = done > 0 && done < total ? " ETA \(Progress.duration(t / Double(done) * Double(total - done)))," : ""
    let counts = "\(done)/\(total) inputs, \(self.items) items, \(String(format: "%.1f", rate)) items/s,\(eta) \(Progress.duration(t)) elapsed"
    switch style {
    case .bar:
      let width = 24, filled = total > 0 ? width * done / total : width
      let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
      write("\r\u{1B}[K[\(bar)] \(counts)" + (done == total ? "\n" : ""))
    case .lines:
      write("progress: \(counts)\n")
    case .quiet:
      break
    }
  }

  /// Writes a message on its own line (clearing a half-drawn bar first).
  func report(_ message: String) {
    write((style == .bar ? "\r\u{1B}[K" : "") + message + "\n")
  }

  private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

  /// `42 s`, `3:07`, `1:02:03`.
  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s) s" }
    return s < 3600 ? String(format: "%d:%02d", s / 60, s % 60) : String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
  }
}
