/// The kernels the plan executor calls: blocked, SIMD and multi-threaded, tested against
/// the naive kernels of GraphReference. Tensors are NCHW float32, contiguous, passed as raw pointers sized by
/// the parameter structs. A `pool` of `nil` runs on the calling thread only.
///
/// Work is split across threads by output rows, columns or channels, never inside a
/// reduction, so results are bit-identical for every thread count.
package enum Kernels {}

/// Runs `body(context, i)` for `i` in `0..<count` on the pool if there is one, inline otherwise.
/// `body` captures nothing (everything it reads comes in `context`), so the loop allocates
/// nothing; a capturing closure would allocate its context on every call, which the session's
/// zero-allocation checks (Tools/check_allocations.sh) catch. The context holds no reference
/// counted values (see ``ThreadPool/parallelFor(_:_:_:)``).
@inline(__always)
func parallelFor<Context: BitwiseCopyable>(_ pool: ThreadPool?, _ count: Int, _ context: Context, _ body: @escaping (Context, Int) -> Void) {
  if let pool {
    pool.parallelFor(count, context, body)
  } else {
    for i in 0..<count { body(context, i) }
  }
}
