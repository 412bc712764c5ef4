import GraphIR
import GraphPlan
import XCTest

@testable import GraphCompiler

/// Pad, Expand, Tile and Resize/Upsample of run-time data: the steps they lower to, and the
/// compiled plan against the reference interpreter at batch 1, 3 and a fixed 2.
final class PadResizeTests: XCTestCase {
  func kernels(_ model: Model) throws -> [Kernel] { try Pipeline.compile(model).plan.steps.map(\.kernel) }

  func testPadSourcesByHand() {
    let reflect = (0..<9).map { PadOp.source($0, size: 3, before: 3, mode: .reflect) }
    XCTAssertEqual(reflect, [1, 2, 1, 0, 1, 2, 1, 0, 1])
    XCTAssertEqual((0..<7).map { PadOp.source($0, size: 3, before: 2, mode: .edge) }, [0, 0, 0, 1, 2, 2, 2])
    XCTAssertEqual((0..<7).map { PadOp.source($0, size: 3, before: 2, mode: .wrap) }, [1, 2, 0, 1, 2, 0, 1])
    XCTAssertEqual((0..<5).map { PadOp.source($0, size: 3, before: 1, mode: .constant) }, [-1, 0, 1, 2, -1])
    // Negative pads crop.
    XCTAssertEqual((0..<2).map { PadOp.source($0, size: 3, before: -1, mode: .constant) }, [1, 2])
  }

  /// Every mode over the spatial axes of `[N, C, H, W]` (inputs from opset 11, `axes` from 18),
  /// a crop, and the attribute form of opset 2.
  func testPadModes() throws {
    for (mode, opset) in [("constant", 13), ("reflect", 13), ("edge", 13), ("wrap", 19)] {
      let g = TestGraph("pad_\(mode)", seed: 8)
      let x = g.input("x", ["N", 2, 3, 4])
      g.output(g.node("Pad", "pad", [x, g.ints("pads", [0, 0, 2, 1, 0, 1, 1, 3]), g.scalar("v", 1.5)], ["mode": .string(mode)]))
      g.output(g.node("Pad", "crop", [x, g.ints("crops", [0, -1, 1, 0, 0, 0, -1, -2])]))
      let model = g.model(opset: opset)
      XCTAssertEqual(try kernels(model).filter { if case .indexCopy = $0 { true } else { false } }.count, 2)
      try assertCompiledMatchesReference(model)
    }
    let axes = TestGraph("pad_axes", seed: 9)
    axes.output(axes.node("Pad", "pad", [axes.input("x", ["N", 3, 4]), axes.ints("pads", [2, 1, 0, 3]), "", axes.ints("axes", [-1, 1])], ["mode": .string("reflect")]))
    try assertCompiledMatchesReference(axes.model(opset: 18))
    let old = TestGraph("pad_2", seed: 10)
    old.output(old.node("Pad", "pad", [old.input("x", ["N", 3, 4])], ["pads": .ints([0, 1, 1, 0, 0, 2]), "value": .float(-2)]))
    try assertCompiledMatchesReference(old.model(opset: 9))
  }

  /// PyTorch's F.pad (opset 11 on) computes the pads from constants through a 2-D Reshape, a
  /// backward Slice, a Transpose and a Cast: inference evaluates the small constants as it goes, so
  /// Pad's rule sees its pads before constant folding.
  func testPadsComputedFromConstants() throws {
    let g = TestGraph("pad_torch", seed: 22)
    let zeros = g.node("ConstantOfShape", "zeros", [g.ints("count", [4])], ["value": .tensor(Tensor(int64s: [0], dims: [1]))])
    let all = g.node("Concat", "all", [g.ints("given", [1, 2, 3, 0]), zeros], ["axis": .int(0)])
    let pairs = g.node("Reshape", "pairs", [all, g.ints("two", [-1, 2])])
    let backward = g.node("Slice", "backward", [pairs, g.ints("s", [-1]), g.ints("e", [Int(-Int32.max)]), g.ints("a", [0]), g.ints("st", [-1])])
    let flat = g.node("Reshape", "flat", [g.node("Transpose", "t", [backward], ["perm": .ints([1, 0])]), g.ints("minus", [-1])])
    let pads = g.node("Cast", "cast", [flat], ["to": .int(Int(DataType.int64.rawValue))])
    g.output(g.node("Pad", "pad", [g.input("x", ["N", 3, 4, 5]), pads], ["mode": .string("reflect")]))
    let model = g.model(opset: 13)
    let compiled = try Pipeline.compile(model)
    XCTAssertEqual(compiled.plan.outputs[0].view.dims, [3, 7, 8])
    try assertCompiledMatchesReference(model)
  }

  /// Exported attention pads with `CastLike(constant, x)`, which folds only after inference: the
  /// output's shape does not wait for the value, which is read when the Pad is lowered.
  func testPadValueThatFoldsAfterInference() throws {
    let g = TestGraph("pad_castlike", seed: 23)
    let x = g.input("x", ["N", 3, 4])
    let value = g.node("CastLike", "value", [g.scalar("v", -7), x])
    g.output(g.node("Pad", "pad", [x, g.ints("pads", [0, 1, 0, 0, 2, 1]), value]))
    let model = g.model(opset: 19)
    XCTAssertEqual(try Pipeline.compile(model).plan.outputs[0].view.dims, [6, 5])
    try assertCompiledMatchesReference(model)
  }

  func testPadRefusals() throws {
    let g = TestGraph("pad_batch", seed: 11)
    g.output(g.node("Pad", "pad", [g.input("x", ["N", 3]), g.ints("pads", [1, 0, 0, 0])]))
    XCTAssertThrowsError(try Pipeline.compile(g.model())) { XCTAssertTrue("\($0)".contains("would be known only at run time"), "\($0)") }
    let bad = TestGraph("pad_bad", seed: 12)
    bad.output(bad.node("Pad", "pad", [bad.input("x", ["N", 3]), bad.ints("pads", [0, 1, 0])]))
    XCTAssertThrowsError(try Pipeline.compile(bad.model())) { XCTAssertTrue("\($0)".contains("pads has 3 values for 2 axes"), "\($0)") }
    let wrap = TestGraph("pad_wrap", seed: 13)
    wrap.output(wrap.node("Pad", "pad", [wrap.input("x", ["N", 3]), wrap.ints("pads", [0, 1, 0, 0])], ["mode": .string("wrap")]))
    XCTAssertThrowsError(try Pipeline.compile(wrap.model(opset: 18))) { XCTAssertTrue("\($0)".contains("mode 'wrap'"), "\($0)") }
  }

  /// The squeeze-excitation gate broadcast back over the plane, a shape of higher rank, and Tile.
  func testExpandAndTile() throws {
    let g = TestGraph("expand_tile", seed: 14)
    let x = g.input("x", ["N", 3, 1, 1])
    g.output(g.node("Expand", "gate", [x, g.ints("shape", [1, 3, 4, 5])]))
    g.output(g.node("Expand", "same", [x, g.ints("ones", [1, 1])]))
    g.output(g.node("Tile", "tiled", [g.node("Relu", "relu", [g.input("y", ["N", 2, 3])]), g.ints("repeats", [1, 3, 2])]))
    let model = g.model()
    XCTAssertEqual(try kernels(model).filter { if case .indexCopy = $0 { true } else { false } }.count, 2, "Expand to its own shape is a view")
    try assertCompiledMatchesReference(model)
    let f = TestGraph("expand_fixed", seed: 15)
    f.output(f.node("Expand", "up", [f.node("Relu", "r", [f.input("a", [3, 1])]), f.ints("shape", [2, 1, 4])]))
    try assertFixedCompiledMatchesReference(f.model())
    let bad = TestGraph("expand_bad", seed: 16)
    bad.output(bad.node("Expand", "up", [bad.input("a", ["N", 3]), bad.ints("shape", [1, 4])]))
    XCTAssertThrowsError(try Pipeline.compile(bad.model())) { XCTAssertTrue("\($0)".contains("does not broadcast"), "\($0)") }
  }

  /// Nearest upsampling (scales and sizes, several modes), bilinear in both common coordinate
  /// modes, downsampling, Upsample of opset 9, cubic (aligned, antialiased) and what stays refused.
  func testResize() throws {
    let g = TestGraph("resize", seed: 17)
    let x = g.input("x", ["N", 2, 3, 4])
    let empty = g.weight("roi", [0])
    let twice = g.builder.constant("scales", Tensor(floats: [1, 1, 2, 2], dims: [4]))
    let odd = g.builder.constant("odd", Tensor(floats: [1, 1, 1.5, 0.75], dims: [4]))
    g.output(g.node("Resize", "nearest", [x, empty, twice], ["mode": .string("nearest")]))
    g.output(g.node("Resize", "bilinear", [x, empty, twice], ["mode": .string("linear")]))
    g.output(g.node("Resize", "bilinear_odd", [x, empty, odd], ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")]))
    g.output(g.node("Resize", "bilinear_torch", [x, empty, odd], ["mode": .string("linear"), "coordinate_transformation_mode": .string("pytorch_half_pixel")]))
    let model = g.model(opset: 13)
    let steps = try kernels(model)
    XCTAssertEqual(steps.filter { if case .resize = $0 { true } else { false } }.count, 3, "\(steps)")
    XCTAssertEqual(steps.filter { if case .indexCopy = $0 { true } else { false } }.count, 1, "\(steps)")
    try assertCompiledMatchesReference(model)

    // Sizes for the named axes (opset 18), rounded up from align_corners coordinates.
    let s = TestGraph("resize_sizes", seed: 21)
    s.output(s.node("Resize", "nearest_sizes", [s.input("x", ["N", 2, 3, 4]), "", "", s.ints("sizes", [7, 3])],
      ["mode": .string("nearest"), "nearest_mode": .string("ceil"), "coordinate_transformation_mode": .string("align_corners"), "axes": .ints([2, -1])]))
    s.output(s.node("Resize", "linear_sizes", [s.input("y", ["N", 2, 3, 4]), "", "", s.ints("sizes2", [5, 9])],
      ["mode": .string("linear"), "axes": .ints([2, 3])]))
    try assertCompiledMatchesReference(s.model(opset: 18))

    let u = TestGraph("upsample", seed: 18)
    let scales = u.builder.constant("scales", Tensor(floats: [1, 1, 2, 3], dims: [4]))
    u.output(u.node("Upsample", "up", [u.input("x", ["N", 2, 3, 4]), scales], ["mode": .string("nearest")]))
    u.output(u.node("Upsample", "lin", [u.input("y", ["N", 2, 3, 4]), scales], ["mode": .string("linear")]))
    try assertCompiledMatchesReference(u.model(opset: 9))

    let c = TestGraph("cubic", seed: 19)
    let roi = c.weight("roi", [0])
    let cx = c.input("x", ["N", 2, 3, 4])
    let (cTwice, cOdd) = (c.builder.constant("scales", Tensor(floats: [1, 1, 2, 2], dims: [4])), c.builder.constant("odd", Tensor(floats: [1, 1, 1.5, 0.75], dims: [4])))
    c.output(c.node("Resize", "cubic", [cx, roi, cTwice], ["mode": .string("cubic")]))
    c.output(c.node("Resize", "cubic_odd", [cx, roi, cOdd], ["mode": .string("cubic"), "coordinate_transformation_mode": .string("align_corners")]))
    c.output(c.node("Resize", "cubic_down", [cx, roi, c.builder.constant("down", Tensor(floats: [1, 1, 0.6, 0.5], dims: [4]))],
      ["mode": .string("cubic"), "antialias": .int(1), "exclude_outside": .int(1)]))
    let cubic = c.model(opset: 19)
    XCTAssertEqual(try kernels(cubic).filter { if case .resize = $0 { true } else { false } }.count, 3)
    try assertCompiledMatchesReference(cubic)
    let near = TestGraph("nearest_antialias", seed: 23)
    near.output(near.node("Resize", "n", [near.input("x", ["N", 2, 3, 4]), "", near.builder.constant("s", Tensor(floats: [1, 1, 2, 2], dims: [4]))], ["mode": .string("nearest"), "antialias": .int(1)]))
    XCTAssertThrowsError(try Pipeline.compile(near.model(opset: 19))) { XCTAssertTrue("\($0)".contains("antialias applies to linear and cubic"), "\($0)") }
    // Linear over the channels is no bilinear plane: refused with the reason.
    let l = TestGraph("linear_channels", seed: 20)
    let r = l.weight("roi", [0])
    l.output(l.node("Resize", "ch", [l.input("x", ["N", 2, 3, 4]), r, l.builder.constant("s", Tensor(floats: [1, 2, 1, 1], dims: [4]))], ["mode": .string("linear")]))
    XCTAssertThrowsError(try Pipeline.compile(l.model())) { XCTAssertTrue("\($0)".contains("axes before the last two"), "\($0)") }
  }
  /// Cubic and antialiased resize of one row against values from ONNX's reference implementation
  /// (onnx 1.22 `ReferenceEvaluator`, opset 19).
  func testResizeCubicMatchesONNXReference() throws {
    let cases: [([String: Attribute], Float, [Float])] = [
      ([:], 2, [0.89453125, 1.15625, 1.5625, 2.41796875, 3.16015625, 5.29296875, 7.69140625, 7.2890625, 4.2734375, 2.47265625]),
      (["cubic_coeff_a": .float(-0.5), "exclude_outside": .int(1)], 2,
       [0.91176468, 1.14598536, 1.64122140, 2.3828125, 3.3359375, 5.0703125, 7.5859375, 7.16793871, 4.03649616, 2.55882359]),
      (["antialias": .int(1)], 0.5, [1.427734375, 5.646484375]),
      (["mode": .string("linear"), "antialias": .int(1)], 0.5, [1.75, 5.125]),
      (["coordinate_transformation_mode": .string("align_corners")], 1.6,
       [1.0, 1.37026286, 2.26822186, 3.07871580, 5.49271297, 7.93586063, 6.32069874, 2.99999833]),
    ]
    for (attributes, scale, expected) in cases {
      let g = TestGraph("cubic_row", seed: 24)
      var all: [String: Attribute] = ["mode": .string("cubic")]
      all.merge(attributes) { $1 }
      g.output(g.node("Resize", "r", [g.input("x", [1, 1, 1, 5]), "", g.builder.constant("s", Tensor(floats: [1, 1, 1, scale], dims: [4]))], all))
      let compiled = try Pipeline.compile(g.model(opset: 19))
      let out = try Compile.run(compiled, ["x": try FloatTensor(shape: [1, 1, 1, 5], values: [1, 2, 4, 8, 3])], threads: 1)
      let y = try XCTUnwrap(out["r"]).values
      XCTAssertEqual(y.count, expected.count, "\(attributes)")
      for (a, b) in zip(y, expected) { XCTAssertEqual(a, b, accuracy: 2e-6 * max(1, abs(b)), "\(attributes): \(y)") }
    }
  }
  /// tf_crop_and_resize: a constant roi reaching outside the input, against onnx's reference; outside
  /// it the output is extrapolation_value.
  func testResizeTFCropAndResize() throws {
    func model(_ attributes: [String: Attribute]) -> Model {
      let g = TestGraph("crop", seed: 25)
      var all: [String: Attribute] = ["coordinate_transformation_mode": .string("tf_crop_and_resize")]
      all.merge(attributes) { $1 }
      let roi = g.builder.constant("roi", Tensor(floats: [0, 0, 0, -0.2, 1, 1, 1, 0.7], dims: [8]))
      g.output(g.node("Resize", "r", [g.input("x", [1, 1, 1, 5]), roi, "", g.ints("sizes", [1, 1, 1, 6])], all))
      return g.model(opset: 19)
    }
    let x = try FloatTensor(shape: [1, 1, 1, 5], values: [1, 2, 4, 8, 3])
    for (attributes, expected) in [
      (["mode": Attribute.string("nearest"), "extrapolation_value": .float(-1)], [Float(-1), -1, 2, 2, 4, 8]),
      (["mode": .string("cubic")], [0, 0, 1.43494475, 2.54950428, 4.38182449, 7.82400036]),
    ] {
      let y = try XCTUnwrap(Compile.run(try Pipeline.compile(model(attributes)), ["x": x], threads: 1)["r"]).values
      XCTAssertEqual(y.count, expected.count)
      for (a, b) in zip(y, expected) { XCTAssertEqual(a, b, accuracy: 2e-6 * max(1, abs(b)), "\(attributes): \(y)") }
    }
    // Another extrapolation_value in linear and cubic mode: a constant added where the roi is left.
    let cubic = model(["mode": .string("cubic"), "extrapolation_value": .float(10)])
    XCTAssertTrue(try kernels(cubic).contains { if case .binary = $0 { true } else { false } })
    let y = try XCTUnwrap(Compile.run(try Pipeline.compile(cubic), ["x": x], threads: 1)["r"]).values
    XCTAssertEqual(Array(y.prefix(2)), [10, 10])
    XCTAssertEqual(y[2], 1.43494475, accuracy: 1e-5)
    try assertFixedCompiledMatchesReference(model(["mode": .string("linear"), "extrapolation_value": .float(-3)]))
  }
}
