import GraphPlan
import KernelsGeneric

extension Window2D {
  /// The window as the kernel modules take it: `WindowShape`, plain numbers (the same tuple
  /// type in every instruction set's module).
  var shape: WindowShape {
    (kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft, dilationHeight, dilationWidth)
  }
}
