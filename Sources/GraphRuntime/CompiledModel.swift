import Glibc

/// A compiled plan loaded for execution. Immutable and thread-safe: one model can
/// serve several ``Session``s on several threads at once.
///
/// ```swift
/// let model = try CompiledModel(contentsOfFile: "plan.bin")
/// let session = try model.makeSession(threads: 2)
/// let outputs = try session.run(["input": FloatTensor(shape: [1, 1, 28, 28], values: pixels)])
/// ```
public final class CompiledModel: @unchecked Sendable {
  /// The validated plan: steps, buffers and bindings.
  public let plan: Plan
  /// The weights, used in place (memory-mapped from the file, or owned).
  let weights: UnsafePointer<Float>
  private let release: () -> Void

  /// Maps a `plan.bin` file and validates it. The weights are used in place, not copied.
  /// - Throws: ``RuntimeError`` naming the file for a missing, truncated or corrupted plan.
  public init(contentsOfFile path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw RuntimeError("\(path): cannot open plan (\(String(cString: strerror(errno))))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      throw RuntimeError("\(path): not a regular file")
    }
    let size = Int(info.st_size)
    guard size > 0 else { throw RuntimeError("\(path): not a plan file (empty)") }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw RuntimeError("\(path): cannot map plan (\(String(cString: strerror(errno))))")
    }
    do {
      let (plan, offset) = try PlanReader.decode(UnsafeRawBufferPointer(start: base, count: size), source: path)
      self.plan = plan
      self.weights = UnsafeRawPointer(base + offset).assumingMemoryBound(to: Float.self)
      self.release = { munmap(base, size) }
    } catch {
      munmap(base, size)
      throw error
    }
  }

  /// Wraps a plan and its weights held in memory (as the compiler produces them).
  public init(plan: Plan, weights: [Float]) throws {
    guard weights.count == plan.weightCount else {
      throw RuntimeError("plan expects \(plan.weightCount) weights, got \(weights.count)")
    }
    try plan.validate()
    let buffer = allocateFloats(weights.count)
    buffer.initialize(from: weights, count: weights.count)
    self.plan = plan
    self.weights = UnsafePointer(buffer)
    self.release = { buffer.deallocate() }
  }

  deinit { release() }

  /// Input names and shapes; the batch dimension is `nil` when any batch size runs.
  public var inputs: [(name: String, batch: Int?, itemShape: [Int])] {
    plan.inputs.map { ($0.name, plan.fixedBatch, $0.view.dims) }
  }

  /// Output names and per-item shapes.
  public var outputs: [(name: String, batch: Int?, itemShape: [Int])] {
    plan.outputs.map { ($0.name, plan.fixedBatch, $0.view.dims) }
  }

  /// Creates a session with its own arena and `threads` threads (the caller included).
  public func makeSession(threads: Int = 1) throws -> Session {
    guard threads >= 1, threads <= 256 else { throw RuntimeError("thread count \(threads) must be between 1 and 256") }
    return Session(model: self, threads: threads)
  }
}
