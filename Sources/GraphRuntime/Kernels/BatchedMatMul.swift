import GraphPlan

/// Where each matrix of a batched product (``Kernel/matmul(_:)``) reads its operands: the
/// broadcast worked out once when the model loads, so a run allocates nothing.
package struct MatMulLayout: Sendable {
  /// Rows of A, columns of B, and the depth each output sums over.
  let m: Int, n: Int, k: Int
  /// Start of A's and B's matrix for output matrix `i` (row-major `[m, k]` and `[k, n]`), in floats.
  let leftOffsets: [Int], rightOffsets: [Int]

  /// The layout of ONNX MatMul of `left` by `right` (shapes that fit: plan validation checks them).
  package init(left: [Int], right: [Int]) {
    let a = left.count == 1 ? [1] + left : left, b = right.count == 1 ? right + [1] : right
    (m, k, n) = (a[a.count - 2], a[a.count - 1], b[b.count - 1])
    let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
    let batch = Broadcast.shape(batchA, batchB) ?? []
    let aStrides = Broadcast.strides(batchA, to: batch), bStrides = Broadcast.strides(batchB, to: batch)
    var leftOffsets: [Int] = [], rightOffsets: [Int] = []
    for i in 0..<batch.reduce(1, *) {
      let (ai, bi) = Broadcast.offsets(of: i, in: batch, aStrides, bStrides)
      leftOffsets.append(ai * m * k)
      rightOffsets.append(bi * k * n)
    }
    (self.leftOffsets, self.rightOffsets) = (leftOffsets, rightOffsets)
  }
}

extension Kernels {
  /// Matrices up to this many multiply-adds run one per thread, side by side; larger ones one
  /// after the other, each split over the threads by ``SGEMM``.
  static let smallMatMul = 1 << 18

  /// One item of a batched matrix product: every output matrix `i` is `A[i] x B[i]` through
  /// ``SGEMM`` (register tiles, packed panels), the operands read where `layout` says.
  package static func matmul(
    _ layout: MatMulLayout, a: UnsafePointer<Float>, b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool?
  ) {
    let count = layout.leftOffsets.count
    if count > 1, layout.m * layout.n * layout.k <= smallMatMul {
      // The layout's offset arrays go by pointer (see `parallelFor`).
      withUnsafePointer(to: layout) { layout in
        parallelFor(pool, count, (layout, a, b, output)) { context, i in
          let (layout, a, b, output) = context
          matrixProduct(layout.pointee, i, a: a, b: b, output: output, pool: nil)
        }
      }
    } else {
      for i in 0..<count { matrixProduct(layout, i, a: a, b: b, output: output, pool: pool) }
    }
  }

  /// Output matrix `i` of a batched product.
  private static func matrixProduct(
    _ layout: MatMulLayout, _ i: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool?
  ) {
    let (m, n, k) = (layout.m, layout.n, layout.k)
    SGEMM.run(
      m: m, n: n, k: k, a: .matrix(.rowMajor(a + layout.leftOffsets[i], columns: k)),
      b: .matrix(.rowMajor(b + layout.rightOffsets[i], columns: n)), store: GemmStore(c: output + i * m * n, ldc: n), pool: pool)
  }

  /// One item of ``Kernel/gather(axis:indices:)``: input `[outer, size, inner]`, output
  /// `[outer, indices.count, inner]`.
  static func gather(
    _ input: UnsafePointer<Float>, outer: Int, size: Int, inner: Int, indices: [Int], output: UnsafeMutablePointer<Float>
  ) {
    var written = 0
    for o in 0..<outer {
      for j in indices {
        (output + written).update(from: input + (o * size + j) * inner, count: inner)
        written += inner
      }
    }
  }
}
