import GraphRuntime
import XCTest

@testable import GraphServing

/// The protocol's routes on a real repository (LeNet), without HTTP in between.
final class InferenceServiceTests: XCTestCase {
  func service(
    _ limits: InferenceService.Limits = .init(), options: BatchQueue.Options = .init(maxBatch: 8, threads: 1)
  ) throws -> InferenceService {
    let metrics = ServerMetrics()
    let repository = try ModelRepository(path: ServingFixture.repositoryPath, options: options) { name in
      let model = metrics.model(name)
      return { model.ranBatch(items: $0, computeNanoseconds: $1) }
    }
    return InferenceService(repository: repository, metrics: metrics, limits: limits)
  }

  func call(
    _ service: InferenceService, _ method: String, _ path: String, body: [UInt8] = [], headers: [String: String] = [:]
  ) async -> InferenceService.Reply {
    await Self.call(service, method, path, body: body, headers: headers)
  }

  static func call(
    _ service: InferenceService, _ method: String, _ path: String, body: [UInt8] = [], headers: [String: String] = [:]
  ) async -> InferenceService.Reply {
    await service.respond(method: method, path: path, header: { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }) { limit in
      guard body.count <= limit else { throw ServingError.tooLarge("over \(limit)") }
      return body
    }
  }

  func json(_ reply: InferenceService.Reply) throws -> JSONValue { try JSONParser.parse(reply.body) }

  func inferBody(_ images: [Float], batch: Int, extra: String = "") -> [UInt8] {
    Array(#"{"id": "a", "inputs": [{"name": "input", "datatype": "FP32", "shape": [\#(batch), 1, 28, 28], "data": [\#(images.map { Double($0).description }.joined(separator: ","))]}]\#(extra)}"#.utf8)
  }

  func testHealthAndMetadata() async throws {
    let s = try service()
    let live = await call(s, "GET", "/v2/health/live")
    XCTAssertEqual(live.status, 200)
    XCTAssertEqual(try json(live), .object([("live", .bool(true))]))
    let ready = await call(s, "GET", "/v2/health/ready")
    XCTAssertEqual(ready.status, 200)
    let server = try json(await call(s, "GET", "/v2"))
    XCTAssertEqual(server["name"], .string("graphserve"))
    XCTAssertEqual(server["extensions"], .array(InferenceService.extensions.map { .string($0) }))
    for path in ["/v2/models/lenet", "/v2/models/lenet/versions/1"] {
      let metadata = try json(await call(s, "GET", path))
      XCTAssertEqual(metadata["name"], .string("lenet"))
      XCTAssertEqual(metadata["versions"], .array([.string("1")]))
      XCTAssertEqual(metadata["inputs"], .array([.object([("name", .string("input")), ("datatype", .string("FP32")), ("shape", .array([-1, 1, 28, 28].map { .number(Double($0)) }))])]))
      XCTAssertEqual(metadata["outputs"], .array([.object([("name", .string("logits")), ("datatype", .string("FP32")), ("shape", .array([.number(-1), .number(10)]))])]))
    }
    let modelReady = await call(s, "GET", "/v2/models/lenet/ready")
    XCTAssertEqual(modelReady.status, 200)
    XCTAssertEqual(try json(modelReady)["ready"], .bool(true))
    let config = try json(await call(s, "GET", "/v2/models/lenet/config"))
    XCTAssertEqual(config["max_batch_size"], .number(8))
    XCTAssertEqual(config["input"], .array([.object([("name", .string("input")), ("data_type", .string("TYPE_FP32")), ("dims", .array([1, 28, 28].map { .number(Double($0)) }))])]))
    let index = try json(await call(s, "POST", "/v2/repository/index"))
    XCTAssertEqual(index, .array([.object([("name", .string("lenet")), ("version", .string("1")), ("state", .string("READY"))])]))
    await s.repository.shutdown()
  }

  func testUnknownModelsVersionsRoutesAndMethods() async throws {
    let s = try service()
    let unknown = await call(s, "GET", "/v2/models/resnet")
    XCTAssertEqual(unknown.status, 404)
    XCTAssertEqual(try json(unknown), .object([("error", .string("unknown model 'resnet'; this server has 'lenet'"))]))
    do { let reply = await call(s, "POST", "/v2/models/resnet/infer", body: inferBody([], batch: 1)); XCTAssertEqual(reply.status, 404) }
    do { let reply = await call(s, "GET", "/v2/models/lenet/versions/2"); XCTAssertEqual(reply.status, 404) }
    do { let reply = await call(s, "GET", "/v2/models/lenet/versions/2/ready"); XCTAssertEqual(reply.status, 404) }
    do { let reply = await call(s, "GET", "/v3"); XCTAssertEqual(reply.status, 404) }
    do { let reply = await call(s, "GET", "/v2/models/lenet/explain"); XCTAssertEqual(reply.status, 404) }
    let wrong = await call(s, "GET", "/v2/models/lenet/infer")
    XCTAssertEqual(wrong.status, 405)
    XCTAssertNotNil(try json(wrong)["error"])
    await s.repository.shutdown()
  }

  func testInferMatchesASessionAndCountsInMetrics() async throws {
    let s = try service()
    let images = ServingFixture.images(batch: 2, seed: 3)
    let reply = await call(s, "POST", "/v2/models/lenet/versions/1/infer", body: inferBody(images, batch: 2))
    XCTAssertEqual(reply.status, 200, String(decoding: reply.body, as: UTF8.self))
    let response = try json(reply)
    XCTAssertEqual(response["id"], .string("a"))
    XCTAssertEqual(response["model_name"], .string("lenet"))
    guard case .array(let outputs)? = response["outputs"], case .array(let data)? = outputs.first?["data"] else { return XCTFail("outputs") }
    let logits = data.map { value -> Float in
      guard case .number(let x) = value else { return .nan }
      return Float(x)
    }
    XCTAssertEqual(logits.map(\.bitPattern), try ServingFixture.alone(images, batch: 2).map(\.bitPattern))

    let bad = await call(s, "POST", "/v2/models/lenet/infer", body: Array(#"{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 28, 28], "data": [1]}]}"#.utf8))
    XCTAssertEqual(bad.status, 400)
    XCTAssertEqual(try json(bad)["error"], .string("input 'input' has shape [1, 28, 28], expected [-1, 1, 28, 28]"))

    let metrics = String(decoding: await call(s, "GET", "/metrics").body, as: UTF8.self)
    XCTAssertTrue(metrics.contains(#"graphserve_inference_requests_total{model="lenet"} 1"#), metrics)
    XCTAssertTrue(metrics.contains(#"graphserve_inference_failures_total{model="lenet",status="400"} 1"#), metrics)
    XCTAssertTrue(metrics.contains(#"graphserve_batch_size_items_count{model="lenet"} 1"#), metrics)
    XCTAssertTrue(metrics.contains(#"graphserve_compute_duration_seconds_count{model="lenet"} 1"#), metrics)
    await s.repository.shutdown()
  }

  func testBinaryRequestAndClassification() async throws {
    let s = try service()
    let images = ServingFixture.images(batch: 1, seed: 8)
    let header = Array(#"{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 1, 28, 28], "parameters": {"binary_data_size": 3136}}], "outputs": [{"name": "logits", "parameters": {"binary_data": true}}]}"#.utf8)
    let body = header + images.withUnsafeBytes { Array($0) }
    let reply = await call(s, "POST", "/v2/models/lenet/infer", body: body, headers: ["Inference-Header-Content-Length": "\(header.count)"])
    XCTAssertEqual(reply.status, 200, String(decoding: reply.body, as: UTF8.self))
    XCTAssertEqual(reply.contentType, "application/octet-stream")
    let length = try XCTUnwrap(reply.headers.first { $0.name == "Inference-Header-Content-Length" }.flatMap { Int($0.value) })
    let logits = Array(reply.body[length...]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let alone = try ServingFixture.alone(images, batch: 1)
    XCTAssertEqual(logits.map(\.bitPattern), alone.map(\.bitPattern))

    let top = await call(s, "POST", "/v2/models/lenet/infer", body: inferBody(images, batch: 1, extra: #", "outputs": [{"name": "logits", "parameters": {"classification": 1}}]"#))
    let best = alone.indices.max { alone[$0] < alone[$1] }!
    guard case .array(let outputs)? = try json(top)["outputs"] else { return XCTFail("outputs") }
    XCTAssertEqual(outputs[0]["data"], .array([.string("\(alone[best]):\(best):digit \(best)")]))
    await s.repository.shutdown()
  }

  func testBodyLimitConcurrencyLimitAndDraining() async throws {
    let s = try service(.init(maxBodyBytes: 1000, maxConcurrentRequests: 1), options: .init(maxBatch: 8, maxQueueDelayMicroseconds: 400_000, threads: 1))
    let images = ServingFixture.images(batch: 1, seed: 2)
    let big = await call(s, "POST", "/v2/models/lenet/infer", body: [], headers: ["Content-Length": "5000"])
    XCTAssertEqual(big.status, 413)
    do { let reply = await call(s, "POST", "/v2/models/lenet/infer", body: inferBody(images, batch: 1)); XCTAssertEqual(reply.status, 413, "read past the limit") }

    let roomy = try service(.init(maxBodyBytes: 1 << 20, maxConcurrentRequests: 1), options: .init(maxBatch: 8, maxQueueDelayMicroseconds: 400_000, threads: 1))
    let body = inferBody(images, batch: 1)
    let first = Task { await infer(roomy, body) }
    while roomy.inFlight == 0 { try await Task.sleep(for: .milliseconds(5)) }
    let second = await call(roomy, "POST", "/v2/models/lenet/infer", body: inferBody(images, batch: 1))
    XCTAssertEqual(second.status, 503)
    XCTAssertTrue(second.headers.contains { $0.name == "Retry-After" })
    roomy.beginDraining()
    do { let reply = await call(roomy, "GET", "/v2/health/ready"); XCTAssertEqual(reply.status, 503) }
    do { let reply = await call(roomy, "GET", "/v2/models/lenet/ready"); XCTAssertEqual(reply.status, 503) }
    do { let reply = await call(roomy, "GET", "/v2/health/live"); XCTAssertEqual(reply.status, 200) }
    do { let status = await first.value; XCTAssertEqual(status, 200, "admitted before draining: finishes") }
    let late = await call(roomy, "POST", "/v2/models/lenet/infer", body: inferBody(images, batch: 1))
    XCTAssertEqual(late.status, 503)
    XCTAssertEqual(try json(late)["error"], .string("the server is shutting down"))
    XCTAssertEqual(roomy.inFlight, 0)
    await s.repository.shutdown()
    await roomy.repository.shutdown()
  }

  func testRepositoryErrorsNameTheFile() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("graphserve-bad-\(getpid())")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root.appendingPathComponent("broken"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try ModelRepository(path: root.path, options: .init())) {
      XCTAssertEqual(($0 as? ServingError)?.message, "\(root.path): no model folders with a plan.bin")
    }
    try Data("not a plan".utf8).write(to: root.appendingPathComponent("broken/plan.bin"))
    XCTAssertThrowsError(try ModelRepository(path: root.path, options: .init())) {
      XCTAssertTrue(($0 as? ServingError)?.message.hasPrefix("model 'broken': ") ?? false, "\($0)")
    }
    try FileManager.default.removeItem(at: root.appendingPathComponent("broken"))
    try FileManager.default.createDirectory(at: root.appendingPathComponent("good"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: ServingFixture.planPath, toPath: root.appendingPathComponent("good/plan.bin").path)
    let config = root.appendingPathComponent("good/config.json")
    try Data(#"{"max_batch": 4}"#.utf8).write(to: config)
    XCTAssertThrowsError(try ModelRepository(path: root.path, options: .init())) {
      XCTAssertEqual(($0 as? ServingError)?.message, "\(config.path): unknown key 'max_batch'; known keys are max_batch_size, max_queue_delay_microseconds, instances, threads")
    }
    try Data(#"{"max_batch_size": 4, "instances": 2}"#.utf8).write(to: config)
    let repository = try ModelRepository(path: root.path, options: .init(maxBatch: 8, instances: 1, threads: 1))
    XCTAssertEqual(repository.models["good"]?.queue.options.maxBatch, 4)
    XCTAssertEqual(repository.models["good"]?.queue.options.instances, 2)
    let semaphore = DispatchSemaphore(value: 0)
    Task { await repository.shutdown(); semaphore.signal() }
    semaphore.wait()
  }
}

/// POSTs `body` to LeNet's infer route and returns the status.
private func infer(_ service: InferenceService, _ body: [UInt8]) async -> Int {
  await service.respond(method: "POST", path: "/v2/models/lenet/infer", header: { _ in nil }) { _ in body }.status
}
