// ClassifyBatch PLAN IMAGES.npy [LABELS.txt]
//
// Classifies every image of a batch (an .npy of shape [N, ...the plan's input item shape]) in chunks
// of 8 with one session, reusing its output tensors, and prints each image's best class.
import GraphRuntime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func classify(_ arguments: [String]) throws {
  guard arguments.count == 3 || arguments.count == 4 else {
    print("usage: ClassifyBatch PLAN IMAGES.npy [LABELS.txt]")
    exit(2)
  }
  let model = try CompiledModel(contentsOfFile: arguments[1])
  let images = try NPY.read(path: arguments[2])
  let labels = try arguments.count == 4 ? readLines(arguments[3]) : []
  let item = model.inputs[0].itemShape
  let itemCount = item.reduce(1, *)
  guard images.shape.count == item.count + 1, Array(images.shape.dropFirst()) == item else {
    throw RuntimeError.input("\(arguments[2]): shape \(images.shape), expected [N] + \(item)")
  }
  let session = try model.makeSession(threads: Session.availableCores)
  let output = model.outputs[0].name
  var outputs: [String: FloatTensor] = [:]
  let count = images.shape[0], chunk = model.inputs[0].batch ?? 8
  for start in stride(from: 0, to: count, by: chunk) {
    let n = min(chunk, count - start)
    var values = Array(images.data[(start * itemCount)..<((start + n) * itemCount)])
    let padded = model.inputs[0].batch ?? n  // a plan with a fixed batch gets zeros after the last image
    values += [Float](repeating: 0, count: (padded - n) * itemCount)
    try session.run(try FloatTensor(shape: [padded] + item, values: values), into: &outputs)
    let scores = model.outputIsSoftmax(output) ? outputs[output]! : outputs[output]!.softmax()
    for (i, best) in scores.topK(1).prefix(n).enumerated() {
      let name = best[0].index < labels.count ? " \(labels[best[0].index])" : ""
      print("\(start + i): \(best[0].index)\(name) (\(best[0].score))")
    }
  }
}

func readLines(_ path: String) throws -> [String] {
  guard let file = fopen(path, "r") else { throw RuntimeError.file(path: path, reason: "cannot open") }
  defer { fclose(file) }
  var lines: [String] = []
  while let line = readLine(from: file) { lines.append(line) }
  return lines
}

func readLine(from file: UnsafeMutablePointer<FILE>) -> String? {
  var buffer: UnsafeMutablePointer<CChar>? = nil
  var capacity = 0
  defer { free(buffer) }
  guard getline(&buffer, &capacity, file) >= 0, let buffer else { return nil }
  let line = String(cString: buffer)
  return line.hasSuffix("\n") ? String(line.dropLast()) : line
}

do {
  try classify(CommandLine.arguments)
} catch let error as RuntimeError {
  print("error: \(error.message)")
  exit(1)
}
