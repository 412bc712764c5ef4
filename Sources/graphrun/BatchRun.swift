import Foundation
import ArgumentParser
import GraphRuntime

/// Batch mode: many input files (each one item or a batch of items) run through one session in
/// batches of a fixed size, one JSON line per input file in input order. A file that cannot be
/// read or does not fit the plan is reported (on stderr and as a JSON line with an `error`) and
/// skipped; the batch goes on.
struct BatchRun {
  let model: CompiledModel
  let session: Session
  let loader: InputLoader
  let batchSize: Int
  let top: Int
  let softmax: (String) -> Bool
  let labels: Labels?
  /// Writes one JSON line.
  let emit: (String) throws -> Void
  /// Each input's outputs go here as `.npy` too, when set.
  let outputsDirectory: String?
  let protected: [String]
  var progress: Progress

  /// What happened, for the closing line and the exit status.
  struct Totals {
    var inputs = 0
    var items = 0
    var bad = 0
    /// Inputs whose outputs hold NaN or an infinity (warned about; an error with `--strict`).
    var nonFinite = 0
  }

  /// An input whose items are (partly) in flight: its outputs fill as batches return.
  private struct InFlight {
    var path: String
    var items: Int
    var finished = 0
    /// Each output's bytes so far (little-endian, in the output's element type).
    var outputs: [String: [UInt8]]
  }

  private var inFlight: [Int: InFlight] = [:]
  /// Finished lines waiting for an earlier input (still in a batch) so that lines come out in input order.
  private var finishedLines: [Int: (line: String, items: Int)] = [:]
  private var nextLine = 0
  /// The batch being gathered: item values, and which file and item each came from.
  private var gathered: [Float] = []
  private var owners: [(file: Int, item: Int)] = []
  private(set) var totals = Totals()

  init(
    model: CompiledModel, session: Session, loader: InputLoader, batchSize: Int, top: Int, softmax: @escaping (String) -> Bool,
    labels: Labels?, outputsDirectory: String?, protected: [String], progress: Progress, emit: @escaping (String) throws -> Void
  ) {
    self.model = model
    self.session = session
    self.loader = loader
    self.batchSize = batchSize
    self.top = top
    self.softmax = softmax
    self.labels = labels
    self.outputsDirectory = outputsDirectory
    self.protected = protected
    self.progress = progress
    self.emit = emit
  }

  private var binding: InputLoader.Binding { model.inputs[0] }
  private var itemCount: Int { binding.itemShape.reduce(1, *) }

  /// Runs every file; returns when all are done or reported bad.
  mutating func run(_ files: [String]) throws {
    for (index, path) in files.enumerated() {
      let tensor: FloatTensor
      do {
        tensor = try loader.tensor(path, for: binding)
      } catch {
        try reject(index, path, error)
        continue
      }
      let items = tensor.shape[0]
      inFlight[index] = InFlight(
        path: path, items: items, outputs: Dictionary(uniqueKeysWithValues: model.outputs.map { ($0.name, []) }))
      // A file of no items (a `.npy` of shape [0, ...]) has its line at once: no batch would
      // finish it, and the lines of every later file would wait for it.
      if items == 0 { try finish(index) }
      for item in 0..<items {
        gathered.append(contentsOf: tensor.values[(item * itemCount)..<((item + 1) * itemCount)])
        owners.append((index, item))
        if owners.count == batchSize { try flush() }
      }
    }
    if !owners.isEmpty { try flush() }
  }

  /// Runs the gathered items (padded with zeros to a plan's fixed batch) and hands each item's
  /// outputs back to its file; a file whose items are all back is finished.
  private mutating func flush() throws {
    let count = owners.count
    let batch = model.inputs[0].batch ?? count
    gathered += [Float](repeating: 0, count: (batch - count) * itemCount)
    let batchOwners = owners
    let values = gathered
    gathered.removeAll(keepingCapacity: true)
    owners.removeAll(keepingCapacity: true)
    let outputs: [String: TypedTensor]
    do {
      outputs = try session.runTyped([binding.name: try FloatTensor(shape: [batch] + binding.itemShape, values: values)])
    } catch {
      // Nothing in a file can make a well-formed batch fail, but if one does, its files are reported, not lost.
      for file in Set(batchOwners.map(\.file)).sorted() {
        if let entry = inFlight.removeValue(forKey: file) { try reject(file, entry.path, error) }
      }
      return
    }
    for (slot, owner) in batchOwners.enumerated() {
      guard inFlight[owner.file] != nil else { continue }
      for output in model.outputs {
        let typed = outputs[output.name]!
        let n = output.itemShape.reduce(1, *) * typed.elementType.byteSize
        inFlight[owner.file]!.outputs[output.name]!.append(contentsOf: typed.bytes[(slot * n)..<((slot + 1) * n)])
      }
      inFlight[owner.file]!.finished += 1
      if inFlight[owner.file]!.finished == inFlight[owner.file]!.items { try finish(owner.file) }
    }
  }

  /// Writes a finished file's line (and `.npy` outputs).
  private mutating func finish(_ file: Int) throws {
    guard let entry = inFlight.removeValue(forKey: file) else { return }
    var tensors: [String: TypedTensor] = [:]
    for output in model.outputs {
      let type = model.elementType(of: output.name) ?? .float32
      tensors[output.name] = TypedTensor(type, shape: [entry.items] + output.itemShape, bytes: entry.outputs[output.name]!)
    }
    let order = model.outputs.map(\.name)
    if let outputsDirectory {
      let name = URL(fileURLWithPath: entry.path).deletingPathExtension().lastPathComponent
      do {
        try OutputWriter.write(tensors, order: order, to: "\(outputsDirectory)/\(name).npy", protecting: protected + [entry.path])
      } catch {
        return try reject(file, entry.path, error)
      }
    }
    totals.inputs += 1
    totals.items += entry.items
    let warnings = NonFinite.warnings(tensors, order: order, file: entry.path)
    for warning in warnings { progress.report(warning) }
    if !warnings.isEmpty { totals.nonFinite += 1 }
    try deliver(file, Report.serialized([
      "file": entry.path, "items": entry.items,
      "outputs": Report.outputsJSON(tensors, order: order, top: top, softmax: softmax, labels: labels),
    ]), items: entry.items)
  }

  /// Reports a bad input on stderr at once and as a JSON line in its place, and counts it.
  private mutating func reject(_ file: Int, _ path: String, _ error: any Error) throws {
    let message = (error as? RuntimeError)?.message ?? (error as? PlanError)?.message ?? "\(error)"
    progress.report("error: \(message.hasPrefix(path) ? message : "\(path): \(message)") (skipped)")
    totals.bad += 1
    try deliver(file, Report.serialized(["file": path, "error": message]), items: 0)
  }

  /// Emits input `file`'s line once every earlier input's line is out.
  private mutating func deliver(_ file: Int, _ line: String, items: Int) throws {
    finishedLines[file] = (line, items)
    while let next = finishedLines.removeValue(forKey: nextLine) {
      try emit(next.line)
      progress.advance(files: 1, items: next.items)
      nextLine += 1
    }
  }

  /// The input files of `--inputs DIR`: its `.npy` and `.bin` files, by name.
  static func files(in directory: String) throws -> [String] {
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
      throw RuntimeError.file(path: directory, reason: "cannot list the directory (\(error.localizedDescription))")
    }
    let base = directory.hasSuffix("/") ? directory : directory + "/"
    return names.filter { !$0.hasPrefix(".") && ($0.hasSuffix(".npy") || $0.hasSuffix(".bin")) }.sorted().map { base + $0 }
  }
}

/// `--shard I/N`: the inputs at positions I, I + N, I + 2N, ... (0 ≤ I < N), so N machines
/// (a Kubernetes indexed Job, a Slurm array) split one list of inputs without overlap.
struct Shard: ExpressibleByArgument {
  var index: Int
  var count: Int

  init?(argument: String) {
    let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else { return nil }
    index = i
    count = n
  }

  func select<T>(_ all: [T]) -> [T] { all.enumerated().filter { $0.offset % count == index }.map(\.element) }
}
