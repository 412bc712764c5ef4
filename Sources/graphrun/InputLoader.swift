import Foundation
import GraphRuntime

/// `NAME=FILE` from `--input`, or a positional INPUT (no name) for a single-input plan.
struct InputAssignment {
  var name: String?
  var path: String

  /// Parses `NAME=FILE`; the name is everything before the first `=`.
  init(parsing text: String) throws {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
      throw RuntimeError.input("--input '\(text)' is not NAME=FILE")
    }
    name = String(text[..<eq])
    path = String(text[text.index(after: eq)...])
  }

  init(path: String) {
    self.name = nil
    self.path = path
  }
}

/// Reads input files for a plan's inputs. What a file holds is decided from its bytes, not its
/// name: a `.npy` file (its magic; any numeric dtype, converted to float32 with a note), else raw
/// little-endian float32 when the size is exactly whole batch items, else an error naming the file,
/// its size and what was expected.
struct InputLoader {
  let model: CompiledModel
  /// Told about every conversion (graphrun prints these on stderr).
  var note: (String) -> Void = { _ in }
  /// Whether a file may hold any number of items although the plan's batch is fixed (batch mode
  /// regroups items into batches of the plan's size).
  var regroupsItems = false

  typealias Binding = (name: String, batch: Int?, itemShape: [Int])

  /// The feeds for one run: one unnamed file for a single-input plan, or one `NAME=FILE` per input.
  func feeds(_ assignments: [InputAssignment]) throws -> [String: FloatTensor] {
    try sources(assignments).mapValues { try $0.tensor() }
  }

  /// The files of `feeds(_:)`, checked against the plan, by input name; no values read yet.
  func sources(_ assignments: [InputAssignment]) throws -> [String: Source] {
    let names = model.inputs.map(\.name)
    var feeds: [String: Source] = [:]
    for assignment in assignments {
      let binding: Binding
      if let name = assignment.name {
        guard let b = model.inputs.first(where: { $0.name == name }) else {
          throw RuntimeError.input("--input \(name)=…: the plan has no input '\(name)'; its inputs are \(list(names))")
        }
        guard feeds[name] == nil else { throw RuntimeError.input("--input \(name) is given twice") }
        binding = b
      } else {
        guard model.inputs.count == 1, let only = model.inputs.first else {
          throw RuntimeError.input(
            "the plan has \(model.inputs.count) inputs (\(list(names))): give each as --input NAME=FILE")
        }
        binding = only
      }
      feeds[binding.name] = try source(assignment.path, for: binding)
    }
    let missing = model.inputs.filter { feeds[$0.name] == nil }
    guard missing.isEmpty else {
      throw RuntimeError.input(
        "missing " + missing.map { "--input \($0.name)=FILE (\(Self.expected($0)))" }.joined(separator: ", "))
    }
    return feeds
  }

  /// An input file checked against its input: where its values are and how many items it holds.
  /// Nothing but the header is read until ``tensor()`` or ``read(into:)``: the values go once,
  /// straight from the file into a tensor or a session's arena (no copy of the file's bytes).
  struct Source {
    let file: TensorFile
    let element: NPYElement
    let offset: Int
    let shape: [Int]
    var count: Int { shape.reduce(1, *) }

    func read(into values: UnsafeMutableBufferPointer<Float>) throws {
      do { try file.read(into: values, of: element, at: offset) } catch let error as RuntimeError { throw error.inFile(file.path) }
    }

    func tensor() throws -> FloatTensor {
      let values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        try read(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
        initialized = count
      }
      return try FloatTensor(shape: shape, values: values)
    }
  }

  /// The tensor in `path` for input `binding`: `[batch] + item shape`.
  func tensor(_ path: String, for binding: Binding) throws -> FloatTensor {
    try source(path, for: binding).tensor()
  }

  /// The file in `path` checked as input `binding` (and against the model's ``Limits``).
  func source(_ path: String, for binding: Binding) throws -> Source {
    let item = binding.itemShape
    let itemCount = item.reduce(1, *)
    let file = try Self.open(path)
    let head = try file.bytes(count: 512)
    let element: NPYElement, offset: Int, count: Int
    if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
      let layout: (shape: [Int], descr: String, element: NPYElement, count: Int, dataStart: Int)
      do { layout = try NPY.layout(of: file) } catch let error as RuntimeError { throw error.inFile(path) }
      if layout.element != .f4 {
        note("\(path): \(layout.element.name) values converted to float32 as they are (no scaling)")
      }
      guard layout.shape == item || (layout.shape.count == item.count + 1 && Array(layout.shape.dropFirst()) == item) else {
        throw RuntimeError.input(
          "\(path): .npy shape \(Self.dims(layout.shape)), input '\(binding.name)' expects \(Self.expected(binding)) (or one item, \(Self.dims(item)))")
      }
      (element, offset, count) = (layout.element, layout.dataStart, layout.count)
    } else {
      let size = file.size
      let itemBytes = itemCount * 4
      let fixed = regroupsItems ? nil : binding.batch
      // An empty input (a 0 in its shape, its batch too) is an empty file; any other has whole items.
      let empty = itemBytes == 0 || binding.batch == 0
      let fits = empty ? size == 0 : size > 0 && size % itemBytes == 0 && fixed.map { size == $0 * itemBytes } ?? true
      guard fits else {
        let perItem = "\(itemCount) float32 values per item"
        let wanted = fixed.map { "exactly \($0 * itemBytes) bytes, \(perItem)" } ?? "a multiple of \(itemBytes) bytes, \(perItem)"
        var message = "\(path): \(size) bytes is neither a .npy file nor raw float32 for input '\(binding.name)'"
          + " (\(Self.expected(binding)): \(wanted))"
        if let kind = Self.recognizedKind(head) {
          message += "; it looks like \(kind): convert it to a float32 tensor (.npy) with the model's preprocessing first"
        }
        throw RuntimeError.input(message)
      }
      (element, offset, count) = (.f4, 0, size / 4)
    }
    do { try file.check(count, of: element, at: offset, limits: model.limits) } catch let error as RuntimeError { throw error.inFile(path) }
    let batch = itemCount == 0 || binding.batch == 0 ? binding.batch ?? 1 : count / itemCount
    if !regroupsItems, let fixed = binding.batch, fixed != batch {
      throw RuntimeError.input(
        "\(path): holds \(Self.items(batch)), the plan was compiled for batch \(fixed) (\(Self.expected(binding)), \(fixed * itemCount * 4) bytes)")
    }
    return Source(file: file, element: element, offset: offset, shape: [batch] + item)
  }

  /// `[N, 1, 28, 28] float32`, or `[1, 1, 28, 28] float32` for a plan with a fixed batch.
  static func expected(_ binding: Binding) -> String {
    "[\(([binding.batch.map(String.init) ?? "N"] + binding.itemShape.map(String.init)).joined(separator: ", "))] float32"
  }

  static func dims(_ shape: [Int]) -> String { "[\(shape.map(String.init).joined(separator: ", "))]" }

  /// `1 batch item`, `3 batch items`.
  static func items(_ n: Int) -> String { "\(n) batch item\(n == 1 ? "" : "s")" }

  private func list(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }

  /// Common files that are not tensors, named so the error can say what the file is.
  static func recognizedKind(_ bytes: [UInt8]) -> String? {
    let signatures: [([UInt8], String)] = [
      ([0x89, 0x50, 0x4E, 0x47], "a PNG image"), ([0xFF, 0xD8, 0xFF], "a JPEG image"),
      (Array("GIF8".utf8), "a GIF image"), (Array("BM".utf8), "a BMP image"),
      (Array("PK".utf8) + [3, 4], "a ZIP archive (an .npz? save each array with numpy.save)"),
      (Array("GRPHPLAN".utf8), "a graphc plan"),
    ]
    if let (_, kind) = signatures.first(where: { bytes.starts(with: $0.0) }) { return kind }
    if bytes.starts(with: Array("RIFF".utf8)), bytes.count >= 12, Array(bytes[8..<12]) == Array("WEBP".utf8) { return "a WebP image" }
    if !bytes.isEmpty, bytes.prefix(512).allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) }) { return "text" }
    return nil
  }

  /// The file opened for reading, or an error that names it and says why it cannot be.
  static func open(_ path: String) throws -> TensorFile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw RuntimeError.file(path: path, reason: "no such file")
    }
    guard !isDirectory.boolValue else { throw RuntimeError.file(path: path, reason: "is a directory, not an input file") }
    do { return try TensorFile(path) } catch RuntimeError.file(_, let reason) where reason.contains("cannot open") {
      throw RuntimeError.file(path: path, reason: "cannot read (permission denied?)")
    }
  }

  /// The whole (small) file, or an error that names it and says why it cannot be read.
  static func readBytes(_ path: String) throws -> [UInt8] {
    let file = try open(path)
    return try file.bytes(count: file.size)
  }
}
