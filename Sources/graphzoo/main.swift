// graphzoo OUTDIR [--only name,name] [--lenet-weights PATH]
//
// Writes OUTDIR/<name>.graph for each seed network. LeNet embeds its (trained) weights;
// every other network puts tensors over 4 KiB into OUTDIR/<name>.weights (ONNX external data),
// so the .graph files stay small. Output is deterministic: the same bytes on every run.
import Foundation
import GraphIR
import GraphZoo

let usage = """
  usage: graphzoo OUTDIR [--only name,name,...] [--lenet-weights PATH]
  networks: \(Zoo.names.joined(separator: ", "))
  """

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("graphzoo: \(message)\n".utf8))
  exit(1)
}

var outDir: String?
var only: [String]?
var lenetWeights: String?
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
  switch arg {
  case "-h", "--help":
    print(usage)
    exit(0)
  case "--only":
    guard let v = args.popFirst() else { fail("--only needs a comma-separated list of names\n\(usage)") }
    only = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  case "--lenet-weights":
    guard let v = args.popFirst() else { fail("--lenet-weights needs a path\n\(usage)") }
    lenetWeights = v
  default:
    if arg.hasPrefix("-") { fail("unknown option '\(arg)'\n\(usage)") }
    if outDir != nil { fail("more than one OUTDIR given ('\(outDir!)', '\(arg)')\n\(usage)") }
    outDir = arg
  }
}
guard let outDir else { fail("missing OUTDIR\n\(usage)") }
let selected = only ?? Zoo.names
for name in selected where !Zoo.names.contains(name) {
  fail("no network named '\(name)' (known: \(Zoo.names.joined(separator: ", ")))")
}
if selected.isEmpty { fail("--only selected no networks") }

do {
  try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
} catch {
  fail("\(outDir): cannot create directory (\(error.localizedDescription))")
}

func fileSize(_ path: String) -> Int {
  ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

func formatSize(_ bytes: Int) -> String {
  if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
  return String(format: "%.1f MiB", Double(bytes) / 1_048_576)
}

/// `OUTDIR/file`, spelled as the user gave OUTDIR.
func pathInOutDir(_ file: String) -> String {
  outDir.hasSuffix("/") ? outDir + file : outDir + "/" + file
}

for name in selected {
  let start = Date()
  do {
    let model = try Zoo.model(named: name, lenetWeights: lenetWeights)
    let built = Date()
    let graphPath = pathInOutDir("\(name).graph")
    let weightsName = "\(name).weights"
    let weightsPath = pathInOutDir(weightsName)
    if name == "lenet" {
      try ONNXWriter.write(model, to: graphPath)
      // A stale weights file from an earlier layout would only confuse.
      try? FileManager.default.removeItem(atPath: weightsPath)
    } else {
      try ONNXWriter.write(model, to: graphPath, externalData: weightsName, externalThreshold: 4096)
    }
    let seconds = String(
      format: "build %.2fs, write %.2fs", built.timeIntervalSince(start), Date().timeIntervalSince(built))
    var line = "\(graphPath)  \(fileSize(graphPath)) bytes (\(formatSize(fileSize(graphPath))))"
    if name != "lenet" {
      line += ", \(weightsPath)  \(fileSize(weightsPath)) bytes (\(formatSize(fileSize(weightsPath))))"
    }
    print("\(line)  [\(seconds)]")
  } catch {
    fail("\(name): \(error)")
  }
}
