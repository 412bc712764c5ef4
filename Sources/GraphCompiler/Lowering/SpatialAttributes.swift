import GraphIR

/// Strides, dilations and explicit pads of a 2-D Conv or pool, with `auto_pad` resolved.
struct SpatialAttributes {
  var strides: [Int]
  var dilations: [Int]
  /// top, left, bottom, right
  var pads: [Int]

  /// `input` and `output` are [H, W]; `kernel` is [KH, KW].
  init(_ node: Node, input: [Int], kernel: [Int], output: [Int]) throws {
    strides = try node.ints("strides") ?? [1, 1]
    dilations = try node.ints("dilations") ?? [1, 1]
    guard strides.count == 2, dilations.count == 2, strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }) else {
      throw GraphError.node(node, "strides \(strides) and dilations \(dilations) must be two positive values")
    }
    let autoPad = try node.string("auto_pad", default: "NOTSET")
    switch autoPad {
    case "NOTSET":
      pads = try node.ints("pads") ?? [0, 0, 0, 0]
      guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw GraphError.node(node, "pads \(pads) must be four values ≥ 0") }
    case "VALID":
      pads = [0, 0, 0, 0]
    case "SAME_UPPER", "SAME_LOWER":
      var begin = [0, 0], end = [0, 0]
      for a in 0..<2 {
        let total = max(0, (output[a] - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - input[a])
        let small = total / 2
        begin[a] = autoPad == "SAME_UPPER" ? small : total - small
        end[a] = total - begin[a]
      }
      pads = [begin[0], begin[1], end[0], end[1]]
    default:
      throw GraphError.node(node, "auto_pad '\(autoPad)' is not supported")
    }
  }
}
