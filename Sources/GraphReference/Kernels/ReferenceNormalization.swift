#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GraphPlan

extension Reference {
  /// Per-channel affine map `y = x * scale[c] + shift[c]` over `[batch, channels, spatial]`:
  /// the inference form of BatchNormalization once the compiler has folded its statistics
  /// (see ``batchNormScaleShift(scale:bias:mean:variance:epsilon:channels:)``).
  public static func channelAffine(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<batch {
      for c in 0..<channels {
        let base = (n * channels + c) * spatial
        for i in 0..<spatial { output[base + i] = input[base + i] * scale[c] + shift[c] }
      }
    }
  }

  /// Folds ONNX BatchNormalization's inputs into `(scale, shift)` for ``channelAffine``:
  /// `scale = gamma / sqrt(var + eps)`, `shift = beta - mean * scale`.
  public static func batchNormScaleShift(
    scale gamma: UnsafePointer<Float>, bias beta: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    variance: UnsafePointer<Float>, epsilon: Float, channels: Int
  ) -> (scale: [Float], shift: [Float]) {
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      scale[c] = gamma[c] / sqrtf(variance[c] + epsilon)
      shift[c] = beta[c] - mean[c] * scale[c]
    }
    return (scale, shift)
  }

  /// ONNX BatchNormalization (inference), computed as written in the spec:
  /// `y = (x - mean) / sqrt(var + eps) * gamma + beta` per channel.
  public static func batchNormalization(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    scale gamma: UnsafePointer<Float>, bias beta: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    variance: UnsafePointer<Float>, epsilon: Float, output: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<batch {
      for c in 0..<channels {
        let base = (n * channels + c) * spatial
        let invStd = 1 / sqrtf(variance[c] + epsilon)
        for i in 0..<spatial {
          output[base + i] = (input[base + i] - mean[c]) * invStd * gamma[c] + beta[c]
        }
      }
    }
  }

  /// ONNX LRN across channels:
  /// `y = x / (bias + alpha / size * sum(x[c']^2))^beta`, the sum running over
  /// `c' in max(0, c - floor((size-1)/2)) ... min(C-1, c + ceil((size-1)/2))`.
  public static func lrn(
    _ input: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    size: Int, alpha: Float, beta: Float, bias: Float, output: UnsafeMutablePointer<Float>
  ) {
    let before = (size - 1) / 2
    let after = size - 1 - before  // ceil((size-1)/2)
    for n in 0..<batch {
      for c in 0..<channels {
        let lo = max(0, c - before), hi = min(channels - 1, c + after)
        for i in 0..<spatial {
          var squares: Float = 0
          for cc in lo...hi {
            let v = input[(n * channels + cc) * spatial + i]
            squares += v * v
          }
          let index = (n * channels + c) * spatial + i
          output[index] = input[index] / powf(bias + alpha / Float(size) * squares, beta)
        }
      }
    }
  }

  /// ONNX Softmax (opset 13): normalizes along the single dimension `axis` (negative
  /// counts from the end). The max is subtracted first for stability.
  public static func softmax(
    _ input: UnsafePointer<Float>, shape: [Int], axis: Int, log takeLog: Bool = false, output: UnsafeMutablePointer<Float>
  ) throws {
    let axis = axis < 0 ? axis + shape.count : axis
    guard axis >= 0 && axis < shape.count else {
      throw ReferenceError("Softmax: axis out of range for shape \(shape)")
    }
    let outer = shape[..<axis].reduce(1, *)
    let extent = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    for o in 0..<outer {
      for i in 0..<inner {
        let base = o * extent * inner + i
        var m = -Float.infinity
        for e in 0..<extent { m = max(m, input[base + e * inner]) }
        if takeLog {
          // LogSoftmax in Double: x - m - log Σ e^(x - m).
          var sum = 0.0
          for e in 0..<extent { sum += exp(Double(input[base + e * inner] - m)) }
          for e in 0..<extent { output[base + e * inner] = Float(Double(input[base + e * inner] - m) - log(sum)) }
          continue
        }
        var sum: Float = 0
        for e in 0..<extent {
          let v = expf(input[base + e * inner] - m)
          output[base + e * inner] = v
          sum += v
        }
        for e in 0..<extent { output[base + e * inner] /= sum }
      }
    }
  }
}

extension Reference {
  /// ONNX LayerNormalization over rows of `length` floats, in float64 as the spec writes it:
  /// `(x - mean) / sqrt(mean((x - mean)²) + ε) * scale[i] + bias[i]`.
  public static func layerNormalization(
    _ input: UnsafePointer<Float>, rows: Int, length: Int, epsilon: Float, scale: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let x = input + r * length
      var mean = 0.0
      for i in 0..<length { mean += Double(x[i]) }
      mean /= Double(length)
      var variance = 0.0
      for i in 0..<length { variance += (Double(x[i]) - mean) * (Double(x[i]) - mean) }
      variance /= Double(length)
      let inverse = 1 / (variance + Double(epsilon)).squareRoot()
      for i in 0..<length {
        let y = (Double(x[i]) - mean) * inverse * Double(scale[i]) + (bias.map { Double($0[i]) } ?? 0)
        output[r * length + i] = Float(y)
      }
    }
  }
}

extension Reference {
  /// ONNX LayerNormalization over the channels of each position of `items` items `[channels,
  /// spatial]`, in float64: at position `s`, `(x[c] - mean) / sqrt(mean((x - mean)²) + ε) * scale[c]
  /// + bias[c]` with the mean over `c`.
  public static func channelNormalization(
    _ input: UnsafePointer<Float>, items: Int, channels: Int, spatial: Int, epsilon: Float, scale: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<items {
      for s in 0..<spatial {
        let at = { (c: Int) in n * channels * spatial + c * spatial + s }
        var mean = 0.0
        for c in 0..<channels { mean += Double(input[at(c)]) }
        mean /= Double(channels)
        var variance = 0.0
        for c in 0..<channels { variance += (Double(input[at(c)]) - mean) * (Double(input[at(c)]) - mean) }
        variance /= Double(channels)
        let inverse = 1 / (variance + Double(epsilon)).squareRoot()
        for c in 0..<channels {
          output[at(c)] = Float((Double(input[at(c)]) - mean) * inverse * Double(scale[c]) + (bias.map { Double($0[c]) } ?? 0))
        }
      }
    }
  }
}
