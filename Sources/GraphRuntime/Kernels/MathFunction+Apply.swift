#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import GraphPlan

extension MathFunction {
  /// The C library's float function (correctly rounded or within an ulp or two).
  @inline(__always)
  func apply(_ x: Float) -> Float {
    switch self {
    case .sin: sinf(x)
    case .cos: cosf(x)
    case .tan: tanf(x)
    case .asin: asinf(x)
    case .acos: acosf(x)
    case .atan: atanf(x)
    case .sinh: sinhf(x)
    case .cosh: coshf(x)
    case .asinh: asinhf(x)
    case .acosh: acoshf(x)
    case .atanh: atanhf(x)
    }
  }
}
