import GraphPlan

extension Kernels {
  /// ONNX CumSum along `axis` of a row-major tensor of `shape`, bit for bit as `Reference.cumSum`
  /// (each output adds the same elements in the same order). The running sums go 16 lanes at a
  /// time across the axes after `axis`, which are contiguous, and one lane at a time when `axis`
  /// is the last; threads take the blocks of the axes before it. `output` may be `input`.
  package static func cumSum(
    _ input: UnsafePointer<Float>, shape: [Int], axis: Int, exclusive: Bool, reverse: Bool, output: UnsafeMutablePointer<Float>,
    pool: ThreadPool? = nil
  ) {
    let outer = shape[..<axis].reduce(1, *), extent = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    parallelFor(pool, outer, (input, output, extent, inner, exclusive, reverse)) { context, o in
      let (input, output, extent, inner, exclusive, reverse) = context
      let block = o * extent * inner
      var lane = 0
      while lane + 16 <= inner {
        runningSums(SIMD16<Float>.self, input, output, block + lane, extent, inner, exclusive, reverse)
        lane += 16
      }
      while lane < inner {
        runningSums(SIMD1.self, input, output, block + lane, extent, inner, exclusive, reverse)
        lane += 1
      }
    }
  }

  /// The running sums of `V.scalarCount` neighbouring lanes from `first`, `stride` floats per step
  /// along the axis.
  @inline(__always)
  private static func runningSums<V: RunningSum>(
    _: V.Type, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ first: Int, _ extent: Int,
    _ stride: Int, _ exclusive: Bool, _ reverse: Bool
  ) {
    var sum = V.zero
    for step in 0..<extent {
      let index = first + (reverse ? extent - 1 - step : step) * stride
      let x = V.load(input + index)
      if exclusive {
        sum.store(output + index)
        sum = sum.adding(x)
      } else {
        sum = sum.adding(x)
        sum.store(output + index)
      }
    }
  }
}

/// A group of lanes summed together: 16 at a time, or one.
private protocol RunningSum {
  static var zero: Self { get }
  static func load(_ p: UnsafePointer<Float>) -> Self
  func adding(_ x: Self) -> Self
  func store(_ p: UnsafeMutablePointer<Float>)
}

extension SIMD16<Float>: RunningSum {
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
  @inline(__always) func adding(_ x: Self) -> Self { self + x }
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
}

/// One lane.
private struct SIMD1: RunningSum {
  var value: Float
  static var zero: Self { SIMD1(value: 0) }
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { SIMD1(value: p.pointee) }
  @inline(__always) func adding(_ x: Self) -> Self { SIMD1(value: value + x.value) }
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = value }
}
