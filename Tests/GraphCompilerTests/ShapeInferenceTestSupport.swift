import GraphIR
import XCTest

@testable import GraphCompiler

/// Helpers for the shape-rule tests: build a tiny graph, infer, read shapes as strings.
enum ShapeTest {
  static func infer(_ b: GraphBuilder, opset: Int = 13, bindings: [String: Int] = [:]) throws -> InferredGraph {
    try ShapeInference.infer(Model(graph: b.build(), opsetImports: ["": opset]), bindings: bindings)
  }

  static func weight(_ dims: [Int]) -> Tensor {
    Tensor(floats: [Float](repeating: 0, count: dims.reduce(1, *)), dims: dims)
  }

  static func ints(_ values: [Int], dims: [Int]? = nil) -> Tensor {
    Tensor(int64s: values.map(Int64.init), dims: dims ?? [values.count])
  }

  /// The error's full description, or a failure when nothing was thrown.
  static func error(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
      _ = try body()
      XCTFail("expected an error", file: file, line: line)
      return ""
    } catch let e as GraphError {
      return e.description
    } catch {
      XCTFail("expected a GraphError, got \(error)", file: file, line: line)
      return ""
    }
  }
}

extension InferredGraph {
  /// `Nx6x28x28` for the value `name`, or `missing`.
  func shape(_ name: String) -> String { self[name]?.shape.description ?? "missing" }
}
