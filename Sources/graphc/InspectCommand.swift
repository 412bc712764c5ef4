import ArgumentParser
import Foundation
import GraphIR
import GraphPlan

/// `graphc inspect PLAN [--json] [--svg memory.svg]`: what a plan file holds.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Describe a compiled plan: bindings, arena, weights and every step.",
    discussion: "Offsets and sizes are in bytes per batch item unless marked otherwise. The plan is fully validated first."
  )

  @Argument(help: "A plan file written by `graphc compile`.")
  var file: String

  @Flag(help: "Print JSON instead of text.")
  var json = false

  @Option(help: "Also draw the arena over the schedule (buffer lifetimes) into this SVG file.")
  var svg: String?

  func run() throws {
    do {
      guard try PlanFile.isPlan(file) else {
        throw GraphError(file, "not a plan file (wrong magic; expected \"GRPHPLAN\")")
      }
      let plan = try PlanFile.read(file)
      let info = PlanInspection(plan: plan, file: file, fileBytes: try fileSize(), version: Int(PlanFormat.version))
      if let svg {
        let flow = PlanDataflow(plan)
        try ONNXWriter.writeAtomically(Array(MemorySVG.svg(flow, title: URL(fileURLWithPath: file).lastPathComponent).utf8), to: svg)
      }
      print(json ? info.json() : info.text(), terminator: "")
    } catch let error as GraphError {
      throw fail("error: \(error.description)")
    } catch let error as PlanError {
      throw fail("error: \(error.description)")
    }
  }

  func fileSize() throws -> Int {
    let attributes = try? FileManager.default.attributesOfItem(atPath: file)
    guard let size = (attributes?[.size] as? NSNumber)?.intValue else { throw GraphError(file, "cannot read file size") }
    return size
  }
}

/// The facts `graphc inspect` reports, as text or JSON.
struct PlanInspection {
  var plan: Plan
  var file: String
  var fileBytes: Int
  var version: Int

  /// Steps per kernel kind, in tag order.
  var kernelCounts: [(kind: String, count: Int)] {
    let kinds = plan.steps.map { PlanDescription.kind($0.kernel) }
    return PlanDescription.kinds.compactMap { k in
      let n = kinds.filter { $0 == k }.count
      return n > 0 ? (k, n) : nil
    }
  }

  /// `lenet.onnx (sha256 4f2a…), compiled by graphc 0.1.0`.
  var source: String {
    let p = plan.provenance
    let model = p.modelFile.isEmpty ? "a model in memory" : "\(p.modelFile) (sha256 \(p.modelSHA256))"
    return "\(model), compiled by graphc \(p.compilerVersion)"
  }

  func text() -> String {
    let g = PlanDescription.grouped
    func binding(_ b: TensorBinding) -> String {
      let type = b.elementType == .float32 ? "" : " \(b.elementType)"
      guard b.constant == nil else { return "\(b.name)\(type) \(PlanDescription.dims(b.shape ?? [])) (constant)" }
      return "\(b.name)\(type) \(PlanDescription.dims(b.view.dims)) \(PlanDescription.placement(b.view))"
    }
    var out = """
      plan \(file)
        format    version \(version), \(g(fileBytes)) bytes
        source    \(source)
        batch     \(plan.fixedBatch.map { "fixed \($0)" } ?? "symbolic (any batch size)")
        inputs    \(plan.inputs.map(binding).joined(separator: ", "))
        outputs   \(plan.outputs.map(binding).joined(separator: ", "))
        arena     \(g(plan.arenaFloatsPerItem)) floats = \(g(plan.arenaFloatsPerItem * 4)) bytes per batch item
        weights   \(g(plan.weightCount)) floats = \(g(plan.weightCount * 4)) bytes
        steps     \(plan.steps.count): \(kernelCounts.map { "\($0.count) \($0.kind)" }.joined(separator: ", "))


      """
    var rows: [[String]] = [["#", "step", "kernel", "output", "offset", "bytes"]]
    for (i, step) in plan.steps.enumerated() {
      let v = step.output
      var offset = g(v.base * 4)
      if PlanDescription.isSlice(v) { offset += " +\(g(v.inner * 4))" }
      rows.append([String(i), step.name, PlanDescription.summary(step.kernel), PlanDescription.dims(v.dims), offset, g(v.itemCount * 4)])
    }
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    let rightAligned: Set<Int> = [0, 4, 5]
    for (r, row) in rows.enumerated() {
      let cells = row.enumerated().map { c, cell in
        let pad = String(repeating: " ", count: widths[c] - cell.count)
        return rightAligned.contains(c) ? pad + cell : (c == row.count - 1 ? cell : cell + pad)
      }
      out += "  " + cells.joined(separator: "  ") + "\n"
      if r == 0 { out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    out += "  (offset: arena bytes per batch item; +N: slice at N bytes inside the buffer)\n"
    return out
  }

  func json() -> String {
    func view(_ v: View) -> [String: Any] {
      ["base": v.base, "item_stride": v.itemStride, "inner": v.inner, "dims": v.dims,
       "offset_bytes": v.base * 4, "inner_bytes": v.inner * 4, "bytes": v.itemCount * 4]
    }
    func binding(_ b: TensorBinding) -> [String: Any] {
      var entry: [String: Any] = ["name": b.name, "view": view(b.view), "element_type": b.elementType.description]
      if let values = b.constant { entry["constant"] = values }
      return entry
    }
    var counts: [String: Int] = [:]
    for (kind, n) in kernelCounts { counts[kind] = n }
    let steps: [[String: Any]] = plan.steps.enumerated().map { i, s in
      ["index": i, "name": s.name, "absorbed": s.absorbed, "kind": PlanDescription.kind(s.kernel),
       "kernel": PlanDescription.summary(s.kernel), "inputs": s.inputs.map(view), "output": view(s.output)]
    }
    let object: [String: Any] = [
      "file": file, "format_version": version, "version": GraphcVersion.current, "file_bytes": fileBytes,
      "batch": plan.fixedBatch.map { $0 as Any } ?? NSNull(),
      "inputs": plan.inputs.map(binding), "outputs": plan.outputs.map(binding),
      "arena_floats_per_item": plan.arenaFloatsPerItem, "arena_bytes_per_item": plan.arenaFloatsPerItem * 4,
      "weights_floats": plan.weightCount, "weights_bytes": plan.weightCount * 4,
      "step_count": plan.steps.count, "kernels": counts, "steps": steps,
      "provenance": ["compiler_version": plan.provenance.compilerVersion, "model_file": plan.provenance.modelFile,
                     "model_sha256": plan.provenance.modelSHA256],
    ]
    // Only strings, numbers, arrays and dictionaries go in, so serialization cannot fail.
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
