import XCTest
@testable import GraphRuntime
import GraphPlan
import GraphReference

/// Builds an ``Epilogue`` from optional arrays and runs `body` with it.
func withEpilogue<R>(
  bias: [Float]?, residual: [Float]?, activation: Activation, _ body: (Epilogue) -> R
) -> R {
  func withOptional<T>(_ array: [Float]?, _ f: (UnsafePointer<Float>?) -> T) -> T {
    if let array { return array.withUnsafeBufferPointer { f($0.baseAddress!) } }
    return f(nil)
  }
  return withOptional(bias) { b in
    withOptional(residual) { r in body(Epilogue(bias: b, residual: r, activation: activation)) }
  }
}

/// The epilogue variants every fused kernel is checked with.
enum EpilogueCase: CaseIterable {
  /// `allSilu`: an activation no row store clamps, so it runs after the store.
  case plain, bias, biasRelu, residualClip, all, allSilu

  var hasBias: Bool { self == .bias || self == .biasRelu || self == .all || self == .allSilu }
  var hasResidual: Bool { self == .residualClip || self == .all || self == .allSilu }
  var activation: Activation {
    switch self {
    case .plain, .bias: return .none
    case .biasRelu, .all: return .relu
    case .residualClip: return .clip(min: -0.5, max: 0.75)
    case .allSilu: return .silu
    }
  }
}
