import GraphPlan

extension GemmAddend {
  /// The addend's value at `(i, j)` of an `[m, n]` result.
  fileprivate func value(row i: Int, column j: Int, n: Int) -> Float {
    switch self {
    case .none: return 0
    case .scalar(let c): return c[0]
    case .row(let c): return c[j]
    case .column(let c): return c[i]
    case .full(let c): return c[i * n + j]
    }
  }
}

extension Reference {
  /// ONNX Gemm, `Y = alpha * op(A) * op(B) + beta * C`, followed by the epilogue
  /// (per-column `bias`, `[m, n]` `residual`, activation). See ``GemmParameters`` for layouts.
  public static func gemm(
    _ p: GemmParameters, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: GemmAddend = .none,
    epilogue: Epilogue = .none, output: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<p.m {
      for j in 0..<p.n {
        var acc: Float = 0
        for l in 0..<p.k {
          let av = p.transA ? a[l * p.m + i] : a[i * p.k + l]
          let bv = p.transB ? b[j * p.k + l] : b[l * p.n + j]
          acc += av * bv
        }
        var y = p.alpha * acc + p.beta * c.value(row: i, column: j, n: p.n)
        if let bias = epilogue.bias { y += bias[j] }
        if let residual = epilogue.residual { y += residual[i * p.n + j] }
        output[i * p.n + j] = activate(epilogue.activation, y)
      }
    }
  }

  /// ONNX MatMul (NumPy `matmul`) for ranks 1 through 6, broadcasting the batch dimensions.
  ///
  /// A rank-1 `a` is treated as `[1, k]` and a rank-1 `b` as `[k, 1]`, and the inserted
  /// dimension is dropped from the result. Returns the output shape; `output` must hold
  /// its element count (compute it first with ``matmulShape(_:_:)``).
  @discardableResult
  public static func matmul(
    a: UnsafePointer<Float>, aShape: [Int], b: UnsafePointer<Float>, bShape: [Int],
    output: UnsafeMutablePointer<Float>
  ) throws -> [Int] {
    let outShape = try matmulShape(aShape, bShape)
    let a2 = aShape.count == 1 ? [1] + aShape : aShape
    let b2 = bShape.count == 1 ? bShape + [1] : bShape
    let m = a2[a2.count - 2], k = a2[a2.count - 1], n = b2[b2.count - 1]
    let batchShape = try broadcastShape(Array(a2.dropLast(2)), Array(b2.dropLast(2)))
    let aStrides = Broadcast.strides(Array(a2.dropLast(2)), to: batchShape)
    let bStrides = Broadcast.strides(Array(b2.dropLast(2)), to: batchShape)
    let batches = batchShape.reduce(1, *)
    for batch in 0..<batches {
      let (aOffset, bOffset) = Broadcast.offsets(of: batch, in: batchShape, aStrides, bStrides)
      let aBase = a + aOffset * m * k, bBase = b + bOffset * k * n, out = output + batch * m * n
      for i in 0..<m {
        for j in 0..<n {
          var acc: Float = 0
          for l in 0..<k { acc += aBase[i * k + l] * bBase[l * n + j] }
          out[i * n + j] = acc
        }
      }
    }
    return outShape
  }

  /// The result shape of ONNX MatMul, or an error if the operands do not fit.
  public static func matmulShape(_ aShape: [Int], _ bShape: [Int]) throws -> [Int] {
    guard (1...6).contains(aShape.count), (1...6).contains(bShape.count) else {
      throw ReferenceError("MatMul: ranks \(aShape.count) and \(bShape.count) not in 1...6")
    }
    let a2 = aShape.count == 1 ? [1] + aShape : aShape
    let b2 = bShape.count == 1 ? bShape + [1] : bShape
    guard a2[a2.count - 1] == b2[b2.count - 2] else {
      throw ReferenceError("MatMul: inner dimensions differ, \(aShape) x \(bShape)")
    }
    var shape = try broadcastShape(Array(a2.dropLast(2)), Array(b2.dropLast(2)))
    if aShape.count > 1 { shape.append(a2[a2.count - 2]) }
    if bShape.count > 1 { shape.append(b2[b2.count - 1]) }
    return shape
  }
}
