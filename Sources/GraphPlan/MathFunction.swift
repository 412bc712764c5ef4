/// A function of one float from the C library, as ``Activation/math(_:)`` applies it: ONNX's
/// trigonometric and hyperbolic ops. They are rare in CNNs, so the runtime calls the library
/// per lane (float) and the reference in Double, rather than carrying vector code for each.
public enum MathFunction: Sendable, Equatable, CaseIterable, BitwiseCopyable, CustomStringConvertible {
  // Never reorder: the index in `allCases` is the on-disk code after activation tag 33.
  case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh

  /// The ONNX op's name in lower case (`sin`, `atanh`).
  public var description: String {
    switch self {
    case .sin: "sin"
    case .cos: "cos"
    case .tan: "tan"
    case .asin: "asin"
    case .acos: "acos"
    case .atan: "atan"
    case .sinh: "sinh"
    case .cosh: "cosh"
    case .asinh: "asinh"
    case .acosh: "acosh"
    case .atanh: "atanh"
    }
  }
}
