import TestSupport
import XCTest
@testable import GraphRuntime
import GraphPlan

/// The row activations (exp-based, and HardSwish) through each instruction set's
/// `activationRow` that this CPU runs, against the vector code of GraphRuntime's own epilogues
/// (`Activation.apply`): one VectorMath source, so the generic module gives the same bits, and
/// the FMA modules (whose polynomials round once per multiply-add) agree within a few ulp, with
/// the same NaNs, infinities and zeros; HardSwish has nothing to fuse and is the same everywhere. Rows of every tail length, with NaN, ±inf, zeros and values past exp's
/// overflow and underflow among them; in place and apart.
final class ActivationRowTests: XCTestCase {
  func check(_ kernels: KernelTable, _ name: String, fusedMultiplyAdd: Bool) {
    var rng = SeededRandom(seed: 5)
    let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 89, -89, 120, -120, 1e-30, 0.625, 0.9277]
    for activation in [Activation.sigmoid, .silu, .tanh, .erf, .exp, .gelu, .geluTanh, .hardSwish] {
      XCTAssertNotNil(activation.rowKind)
      for count in [1, 15, 16, 17, 40] {
        var x = rng.floats(count).map { $0 * 12 }
        for (i, s) in specials.enumerated() where i < count { x[(i * 7) % count] = s }
        let expected = x.map { activation.apply($0) }
        var apart = [Float](repeating: 0, count: count)
        var inPlace = x
        kernels.activationRow(activation.rowKind!, x, &apart, count)
        inPlace.withUnsafeMutableBufferPointer { kernels.activationRow(activation.rowKind!, $0.baseAddress!, $0.baseAddress!, count) }
        assertIdentical(inPlace, apart, "\(name) \(activation) count \(count) in place")
        guard fusedMultiplyAdd && activation != .hardSwish else {
          assertIdentical(apart, expected, "\(name) \(activation) count \(count)")
          continue
        }
        for i in 0..<count where apart[i].bitPattern != expected[i].bitPattern && !(apart[i].isNaN && expected[i].isNaN) {
          let (a, e) = (apart[i], expected[i])
          // Subnormal results keep only a few bits.
          let close = e.isFinite && a.isFinite && abs(a - e) <= max(4 * e.ulp, 2 * Float.leastNonzeroMagnitude)
          XCTAssertTrue(close && a.sign == e.sign, "\(name) \(activation)(\(x[i])) = \(a), without FMA \(e)")
        }
      }
    }
    XCTAssertNil(Activation.relu.rowKind)
  }

  func testGenericRows() {
    check(.generic, "generic", fusedMultiplyAdd: false)
  }

  func testHaswellRowsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.haswell.isSupported, "this CPU has no AVX2+FMA: the avx2+fma activation rows are not run")
    check(.haswell, "avx2+fma", fusedMultiplyAdd: true)
  }

  func testSkylakeXRowsWhereTheCPUHasThem() throws {
    try XCTSkipUnless(InstructionSet.skylakeX.isSupported, "this CPU has no AVX-512F: the avx512 activation rows are not run")
    check(.skylakeX, "avx512", fusedMultiplyAdd: true)
  }
}
