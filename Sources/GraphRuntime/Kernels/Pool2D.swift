extension Kernels {
  /// Max or average pooling into a (possibly sliced) output, threads over channel planes.
  /// Same contract and numbers as ``Reference/pool2d(_:input:output:)``, whose per-plane
  /// loop is already reasonable for the small windows networks use.
  public static func pool2d(
    _ p: Pool2DParameters, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    let g = p.geometry
    parallelFor(pool, p.batch * g.channels) { plane in
      let n = plane / g.channels, c = plane % g.channels
      Reference.pool2dPlane(
        p, input: input + plane * g.inHeight * g.inWidth,
        output: output + (n * p.outputTotalChannels + p.outputChannelOffset + c) * g.outHeight * g.outWidth)
    }
  }

  /// Global average or max pool, `[n, c, h, w]` → `[n, c, 1, 1]`, threads over planes.
  public static func globalPool(
    _ kind: PoolKind, batch: Int, channels: Int, spatial: Int,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
  ) {
    parallelFor(pool, batch * channels) { plane in
      Reference.globalPool(kind, batch: 1, channels: 1, spatial: spatial, input: input + plane * spatial, output: output + plane)
    }
  }
}
