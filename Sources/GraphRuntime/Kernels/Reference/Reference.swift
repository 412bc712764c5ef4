/// Straightforward kernels written to be obviously correct; the oracle that the fast
/// kernels in ``Kernels`` are tested against. Single-threaded, no blocking, no SIMD.
///
/// Tensors are NCHW float32, contiguous, passed as raw pointers sized by the parameters.
public enum Reference {}
