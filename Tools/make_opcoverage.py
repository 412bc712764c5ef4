#!/usr/bin/env python3
"""Writes the op-coverage fixtures in Tests/Fixtures/opcoverage/ (issue 7, item 5).

Small opset-17 graphs on a batched input [N, C, H, W] with a symbolic batch N,
one or a few nodes of every op the compiler lowers, with seeded weights chosen so
that a wrong op, a swapped operand or a wrong broadcast changes the outputs:
asymmetric per-channel / per-row / per-column constants of both signs, H != W,
non-default attributes. Tools/check_opcoverage.py compiles each fixture with
graphc and compares graphrun with onnxruntime on random inputs.

- opcoverage.onnx: the ops the compiler supports today, in the forms it accepts.
- opcoverage-activations.onnx: Sigmoid, HardSwish, HardSigmoid fused after convs and a
  standalone Sigmoid after a pool.
- opcoverage-modern.onnx (opset 18): the modern CNN families' ops: squeeze-excitation and SiLU,
  Split, Slice and the channel shuffle, the unary math ops, ConvNeXt's channels-last block with
  LayerNormalization, MatMul on rows, GELU and a decomposed LayerNorm.
- opcoverage-tensor.onnx: a transformer's tensor ops: attention's MatMuls of two run-time tensors
  over [N, heads, T, d], a batched constant right operand, Concat on the last axis, Gather of
  run-time tokens with constant indices.
- opcoverage-reduce.onnx (opset 18): the Reduce family over middle and trailing axes, LogSoftmax,
  Max/Min/Mean of broadcasting operands, PRelu and the activations Elu, Log, Softplus, Softsign,
  Selu, Celu and ThresholdedRelu.
- opcoverage-decoder.onnx: ConvTranspose in an encoder-decoder: PyTorch's 4x4 stride-2 upsampling
  + Relu, a skip Concat, grouped/dilated/padded/output_padding, output_shape with SAME_UPPER, depthwise.
- opcoverage-logic.onnx (opset 18): Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor, Not, Where
  (a run-time mask, a constant mask, folded shape plumbing) and Mod (fmod=1).

Deterministic (fixed seed, IR version 8, no timestamps): run again to regenerate, or
with --check to fail when a committed fixture differs from what this script writes.

usage: make_opcoverage.py [--check] [--out DIR]
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261201
OPSET = 17
IR_VERSION = 8
FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "opcoverage")


class Builder:
    """Collects nodes and initializers; names every node after its output."""

    def __init__(self, rng):
        self.rng, self.nodes, self.inits = rng, [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def const_ints(self, name, values):
        self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def conv_weights(self, name, out_ch, in_per_group, k, scale):
        w = self.rng.standard_normal((out_ch, in_per_group, k, k)) * scale / np.sqrt(in_per_group * k * k)
        b = self.rng.uniform(-0.5, 0.5, out_ch)
        return self.const(name + ".W", w), self.const(name + ".B", b)

    def model(self, name, input_shape, outputs, opset=OPSET):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + input_shape)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["N"] + shape) for o, shape in outputs.items()],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_opcoverage")
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def opcoverage():
    """Every op lowered today. Input [N, 4, 10, 8]; outputs elementwise [N, 4, 8, 10],
    features [N, 12, 4, 5], channel_softmax [N, 6, 8, 10], logits [N, 10], prob [N, 10]. Values stay
    within about ±10 so no Softmax saturates and no Clip clamps everything."""
    b = Builder(np.random.default_rng(SEED))
    rng = b.rng
    # -- element-wise, constant on the right (the form lowered for a constant operand)
    k_sub = b.const("k_sub", [[[0.5]], [[-1.0]], [[0.8]], [[-0.6]]])            # [4, 1, 1]: per channel
    sub_c = b.node("Sub", ["input", k_sub], "sub_const")
    k_mul = b.const("k_mul", np.linspace(-1.5, 2.0, 8))                           # [8]: per column
    mul_c = b.node("Mul", [sub_c, k_mul], "mul_const")
    k_div = b.const("k_div", np.array([1.0, -1.6, 1.25, -2.0, 0.8, 1.5, -1.2, 0.9, 2.5, -1.1]).reshape(10, 1))  # per row
    div_c = b.node("Div", [mul_c, k_div], "div_const")
    # -- element-wise with a run-time value on the right, and broadcasting on the left
    mean = b.node("ReduceMean", [sub_c], "mean_keepdims", axes=[2, 3], keepdims=1)   # [N, 4, 1, 1], about -k_sub
    k_left = b.const("k_left", [[[2.0]], [[-0.5]], [[1.5]], [[0.25]]])           # [4, 1, 1]
    rsub = b.node("Sub", [k_left, div_c], "sub_const_left")                          # PyTorch's `c - x`
    sub_r = b.node("Sub", [mean, rsub], "sub_runtime")                               # [N,4,1,1] - [N,4,10,8]
    lo, hi = b.const("clip_lo", np.float32(0.5)), b.const("clip_hi", np.float32(3.0))
    den = b.node("Clip", ["input", lo, hi], "clip_denominator")                      # in [0.5, 3]: safe to divide by
    div_r = b.node("Div", [sub_r, den], "div_runtime")
    mul_r = b.node("Mul", [mean, div_r], "mul_runtime")                              # broadcast left operand
    k_num = b.const("k_num", [[[1.0]], [[-2.0]], [[0.5]], [[1.5]]])
    rdiv = b.node("Div", [k_num, den], "div_const_left")                             # `c / x`
    total = b.node("Sum", [mul_r, b.node("Add", [sub_c, rdiv], "add_const_left")], "sum")
    elementwise = b.node("Transpose", [total], "elementwise", perm=[0, 1, 3, 2])  # [N, 4, 8, 10]
    # -- convolutions: grouped (+Relu, fused), depthwise (+Clip, fused), dilated + 1x1 (residual Add, fused)
    w, bias = b.conv_weights("grouped_conv", 8, 2, 3, 1.0)
    g = b.node("Conv", [elementwise, w, bias], "grouped_conv", group=2, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    g = b.node("Relu", [g], "grouped_relu")
    w, bias = b.conv_weights("depthwise_conv", 8, 1, 3, 1.0)
    d = b.node("Conv", [g, w, bias], "depthwise_conv", group=8, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    d = b.node("Clip", [d, b.const("clip6_lo", np.float32(-1.0)), b.const("clip6_hi", np.float32(4.0))], "depthwise_clip")
    w, bias = b.conv_weights("dilated_conv", 6, 8, 3, 1.5)
    dil = b.node("Conv", [d, w, bias], "dilated_conv", kernel_shape=[3, 3], dilations=[2, 2], pads=[2, 2, 2, 2])
    w, bias = b.conv_weights("pointwise_conv", 6, 4, 1, 1.0)
    skip = b.node("Conv", [elementwise, w, bias], "pointwise_conv", kernel_shape=[1, 1])
    res = b.node("Add", [dil, skip], "residual_add")                                 # [N, 6, 8, 10]
    lrn = b.node("LRN", [res], "lrn", size=3, alpha=0.05, beta=0.6, bias=1.5)
    # Add of a constant after a non-conv (after a conv it would be folded into the bias).
    lrn = b.node("Add", [lrn, b.const("k_add", rng.uniform(-1.0, 1.0, (6, 1, 1)))], "add_const")
    # A standalone Relu whose input reaches well past 6 (a ReLU6 mix-up shows).
    k_scale = b.const("k_scale", [[[2.5]], [[-2.0]], [[1.8]], [[-1.2]], [[3.0]], [[1.5]]])
    relu = b.node("Relu", [b.node("Mul", [lrn, k_scale], "scale")], "relu")
    mp = b.node("MaxPool", [relu], "maxpool", kernel_shape=[2, 2], strides=[2, 2])                  # [N, 6, 4, 5]
    ap = b.node("AveragePool", [lrn], "avgpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                count_include_pad=0)                                                                 # [N, 6, 4, 5]
    cat = b.node("Concat", [mp, ap], "features", axis=1)                                             # [N, 12, 4, 5]
    b.node("Softmax", [lrn], "channel_softmax", axis=1)                            # over channels, not the last axis
    # -- head: spatial mean, MatMul, Gemm (transB, alpha, beta), Softmax on the last axis
    gap = b.node("ReduceMean", [cat], "spatial_mean", axes=[2, 3], keepdims=0)    # [N, 12]
    mm = b.node("MatMul", [gap, b.const("matmul.W", rng.standard_normal((12, 16)) / np.sqrt(12))], "matmul")  # [N, 16]
    gw = b.const("gemm.W", rng.standard_normal((10, 16)) / np.sqrt(16))
    gb = b.const("gemm.B", rng.uniform(-1.0, 1.0, 10))
    b.node("Gemm", [mm, gw, gb], "logits", transB=1, alpha=0.7, beta=1.3)
    b.node("Softmax", ["logits"], "prob", axis=-1)
    return b.model("opcoverage", [4, 10, 8],
                   {"elementwise": [4, 8, 10], "features": [12, 4, 5], "channel_softmax": [6, 8, 10], "logits": [10],
                    "prob": [10]})


def activations():
    """Pending: Conv→Sigmoid, Conv→HardSwish, Conv→HardSigmoid (fusable), AveragePool→Sigmoid.
    Input [N, 3, 9, 7]; the conv outputs have a std of about 2.3 and reach ±6, past HardSwish's
    ±3 and the saturation points of HardSigmoid, which has non-default alpha 0.25, beta 0.4."""
    b = Builder(np.random.default_rng(SEED + 1))
    outs = []
    for op, attrs in [("Sigmoid", {}), ("HardSwish", {}), ("HardSigmoid", {"alpha": 0.25, "beta": 0.4})]:
        name = op.lower()
        w, bias = b.conv_weights(name + "_conv", 4, 3, 3, 2.5)
        c = b.node("Conv", ["input", w, bias], name + "_conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        outs.append(b.node(op, [c], name, **attrs))
    cat = b.node("Concat", outs, "concat", axis=1)                                  # [N, 12, 9, 7]
    w, bias = b.conv_weights("mix_conv", 6, 12, 1, 2.0)
    mix = b.node("Conv", [cat, w, bias], "mix_conv", kernel_shape=[1, 1])
    pool = b.node("AveragePool", [mix], "avgpool", kernel_shape=[2, 2], strides=[2, 2])  # [N, 6, 4, 3]
    b.node("Sigmoid", [pool], "pooled_sigmoid")
    return b.model("opcoverage-activations", [3, 9, 7], {**{o: [4, 9, 7] for o in outs}, "pooled_sigmoid": [6, 4, 3]})


def modern():
    """The modern CNN families' ops (issue 9). Input [N, 8, 6, 10]; outputs:
    - `se` [N, 8, 6, 10]: SiLU (Sigmoid * x) after a conv, a squeeze-excitation gate (mean over H, W,
      two 1x1 convs, Sigmoid) multiplied onto it: a run-time [N, 8, 1, 1] times [N, 8, 6, 10].
    - `shuffle` [N, 8, 6, 10]: ShuffleNet's unit: Split on channels (uneven 3 + 5 first, then halves by
      Slice), a depthwise branch, Concat, channel shuffle Reshape [N, 2, 4, 6, 10] / Transpose / Reshape.
    - `unary` [N, 8, 6, 10]: LeakyRelu, Tanh, Exp, Neg, Abs, Reciprocal, Sqrt, Pow (2 and 0.5), Erf, a
      strided Slice with a negative step, Div of two run-time values.
    - `convnext` [N, 6, 10, 8] channels-last: LayerNormalization on the last axis, MatMul + bias on
      every row, GELU by Erf; the decomposed LayerNorm (ReduceMean on the last axis, Sub, Pow, Sqrt, Div)."""
    b = Builder(np.random.default_rng(SEED + 2))
    rng = b.rng
    # -- squeeze-excitation with SiLU
    w, bias = b.conv_weights("se_conv", 8, 8, 3, 2.0)
    c = b.node("Conv", ["input", w, bias], "se_conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    silu = b.node("Mul", [c, b.node("Sigmoid", [c], "se_sigmoid")], "se_silu")
    pooled = b.node("GlobalAveragePool", [silu], "se_pool")
    w, bias = b.conv_weights("se_reduce", 4, 8, 1, 2.0)
    squeezed = b.node("Relu", [b.node("Conv", [pooled, w, bias], "se_reduce", kernel_shape=[1, 1])], "se_relu")
    w, bias = b.conv_weights("se_expand", 8, 4, 1, 2.0)
    gate = b.node("Sigmoid", [b.node("Conv", [squeezed, w, bias], "se_expand", kernel_shape=[1, 1])], "se_gate")
    b.node("Mul", [gate, silu], "se")                                               # gate on the left
    # -- ShuffleNet unit
    parts = ["split_a", "split_b"]
    b.nodes.append(helper.make_node("Split", ["input", b.const_ints("split_sizes", [3, 5])], parts, name="split", axis=1))
    left = b.node("Slice", ["input", b.const_ints("sl_start", [0]), b.const_ints("sl_end", [4]), b.const_ints("sl_axes", [1])],
                  "slice_left")
    right = b.node("Slice", ["input", b.const_ints("sr_start", [4]), b.const_ints("sr_end", [2 ** 62]), b.const_ints("sr_axes", [1])],
                   "slice_right")
    w, bias = b.conv_weights("branch_dw", 4, 1, 3, 1.5)
    dw = b.node("Conv", [right, w, bias], "branch_dw", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=4)
    w, bias = b.conv_weights("branch_pw", 4, 4, 1, 1.5)
    pw = b.node("Relu", [b.node("Conv", [dw, w, bias], "branch_pw", kernel_shape=[1, 1])], "branch_relu")
    cat = b.node("Concat", [left, pw], "shuffle_concat", axis=1)
    r = b.node("Reshape", [cat, b.const_ints("shuffle_split", [0, 2, 4, 6, 10])], "shuffle_reshape")
    t = b.node("Transpose", [r], "shuffle_transpose", perm=[0, 2, 1, 3, 4])
    shuffled = b.node("Reshape", [t, b.const_ints("shuffle_merge_shape", [0, 8, 6, 10])], "shuffle_merge")
    w, bias = b.conv_weights("mix_a", 8, 3, 1, 1.0)
    mixed = b.node("Conv", ["split_a", w, bias], "mix_a", kernel_shape=[1, 1])
    w, bias = b.conv_weights("mix_b", 8, 5, 1, 1.0)
    mixed_b = b.node("Conv", ["split_b", w, bias], "mix_b", kernel_shape=[1, 1])
    b.node("Add", [shuffled, b.node("Mul", [mixed, mixed_b], "split_product")], "shuffle")
    # -- unary math on a conv's output
    w, bias = b.conv_weights("unary_conv", 8, 8, 1, 3.0)
    u = b.node("Conv", ["input", w, bias], "unary_conv", kernel_shape=[1, 1])
    leaky = b.node("LeakyRelu", [u], "leaky", alpha=0.15)
    bounded = b.node("Tanh", [leaky], "tanh")                                        # in (-1, 1)
    ex = b.node("Exp", [bounded], "exp")                                             # in (0.37, 2.7)
    rec = b.node("Reciprocal", [ex], "reciprocal")
    root = b.node("Sqrt", [b.node("Abs", [b.node("Neg", [u], "neg")], "abs")], "sqrt")
    sq = b.node("Pow", [root, b.const("two", np.float32(2.0))], "square")            # |u| again
    half = b.node("Pow", [sq, b.const("half", np.float32(0.5))], "root_again")
    erf = b.node("Erf", [b.node("Mul", [u, b.const("k_erf", np.float32(0.4))], "erf_scale")], "erf")
    flipped = b.node("Slice", [erf, b.const_ints("f_start", [-1, 0]), b.const_ints("f_end", [-(2 ** 62), 6]),
                               b.const_ints("f_axes", [3, 2]), b.const_ints("f_steps", [-1, 1])], "flip")
    ratio = b.node("Div", [half, b.node("Add", [ex, rec], "denominator")], "ratio")  # denominator ≥ 2
    b.node("Add", [ratio, b.node("Mul", [flipped, leaky], "flip_product")], "unary")
    # -- ConvNeXt block, channels-last
    w, bias = b.conv_weights("cx_dw", 8, 1, 3, 2.0)
    dwc = b.node("Conv", ["input", w, bias], "cx_dw", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8)
    nhwc = b.node("Transpose", [dwc], "cx_nhwc", perm=[0, 2, 3, 1])                 # [N, 6, 10, 8]
    ln = b.node("LayerNormalization", [nhwc, b.const("ln.scale", rng.uniform(0.5, 1.5, 8)),
                                       b.const("ln.bias", rng.uniform(-0.5, 0.5, 8))], "cx_ln", epsilon=1e-6)
    up = b.node("Add", [b.node("MatMul", [ln, b.const("up.W", rng.standard_normal((8, 16)) / np.sqrt(8))], "cx_up"),
                        b.const("up.B", rng.uniform(-0.5, 0.5, 16))], "cx_up_bias")
    gelu_arg = b.node("Div", [up, b.const("sqrt2", np.float32(np.sqrt(2.0)))], "cx_gelu_div")
    gelu = b.node("Mul", [b.node("Mul", [up, b.node("Add", [b.node("Erf", [gelu_arg], "cx_erf"), b.const("one", np.float32(1.0))],
                                                    "cx_gelu_add")], "cx_gelu_mul"), b.const("halfk", np.float32(0.5))], "cx_gelu")
    down = b.node("MatMul", [gelu, b.const("down.W", rng.standard_normal((16, 8)) / np.sqrt(16))], "cx_down")
    mean = b.node("ReduceMean", [down, b.const_ints("last_axis", [-1])], "cx_mean")  # opset 18: axes input
    centered = b.node("Sub", [down, mean], "cx_centered")
    var = b.node("ReduceMean", [b.node("Pow", [centered, b.const("two_ln", np.float32(2.0))], "cx_sq"), b.const_ints("last_axis2", [-1])],
                 "cx_var")
    std = b.node("Sqrt", [b.node("Add", [var, b.const("eps", np.float32(1e-5))], "cx_var_eps")], "cx_std")
    b.node("Add", [nhwc, b.node("Div", [centered, std], "cx_normalized")], "convnext")
    return b.model("opcoverage-modern", [8, 6, 10],
                   {"se": [8, 6, 10], "shuffle": [8, 6, 10], "unary": [8, 6, 10], "convnext": [6, 10, 8]}, opset=18)


def tensor():
    """A transformer's tensor ops (issue 9). Input [N, 6, 16] (6 tokens of 16 features); outputs:
    - `attention` [N, 6, 16]: two heads of 8: Q, K, V by MatMul on every token, Reshape/Transpose to
      [N, 2, 6, 8], Q x K^T (K transposed to [N, 2, 8, 6]) scaled, Softmax, x V, heads merged, then
      Concat with the input on the last axis and a MatMul back to 16 features.
    - `pooled` [N, 3, 16]: Gather of tokens 0, -1 and 2 (axis 1) of the attention output.
    - `heads` [N, 2, 6, 4]: the per-head context times a batched constant [2, 8, 4], and Gather of
      features 7, 0 and -3 along the last axis of the input, scaled."""
    b = Builder(np.random.default_rng(SEED + 3))
    rng = b.rng

    def project(name, x, inputs, outputs):
        return b.node("MatMul", [x, b.const(name + ".W", rng.standard_normal((inputs, outputs)) / np.sqrt(inputs))], name)

    def split_heads(name, x, perm):
        r = b.node("Reshape", [x, b.const_ints(name + "_shape", [0, 6, 2, 8])], name + "_reshape")
        return b.node("Transpose", [r], name, perm=perm)

    q = split_heads("q_heads", project("q", "input", 16, 16), [0, 2, 1, 3])          # [N, 2, 6, 8]
    kt = split_heads("k_heads", project("k", "input", 16, 16), [0, 2, 3, 1])         # [N, 2, 8, 6]
    v = split_heads("v_heads", project("v", "input", 16, 16), [0, 2, 1, 3])          # [N, 2, 6, 8]
    scores = b.node("Mul", [b.node("MatMul", [q, kt], "scores_raw"), b.const("scale", np.float32(8 ** -0.5))], "scores")
    probs = b.node("Softmax", [scores], "probs", axis=-1)
    context = b.node("MatMul", [probs, v], "context")                                 # [N, 2, 6, 8]
    merged = b.node("Reshape", [b.node("Transpose", [context], "context_tokens", perm=[0, 2, 1, 3]),
                                b.const_ints("merge_shape", [0, 6, 16])], "merged")
    joined = b.node("Concat", [merged, "input"], "joined", axis=-1)                   # [N, 6, 32]
    attention = project("attention", joined, 32, 16)
    b.node("Gather", [attention, b.const_ints("tokens", [0, -1, 2])], "pooled", axis=1)
    per_head = b.node("MatMul", [context, b.const("head.W", rng.standard_normal((2, 8, 4)) / np.sqrt(8))], "per_head")
    picked = b.node("Gather", ["input", b.const_ints("features", [7, 0, -3])], "picked", axis=-1)  # [N, 6, 3]
    weight = b.node("MatMul", [picked, b.const("pick.W", rng.standard_normal((3, 4)))], "picked_weight")  # [N, 6, 4]
    b.node("Add", [per_head, b.node("Unsqueeze", [weight, b.const_ints("head_axis", [1])], "picked_heads")], "heads")
    return b.model("opcoverage-tensor", [6, 16], {"attention": [6, 16], "pooled": [3, 16], "heads": [2, 6, 4]})


def reduce():
    """The reductions and the activations of issue 9's third batch. Input [N, 4, 6, 8]; outputs:
    - `reduced` [N, 7, 6]: ReduceSum over the channels, ReduceMax and ReduceMin over the columns,
      ReduceL2 over channels and columns, ReduceSumSquare over the rows (keepdims 0, then transposed),
      ReduceProd of a Sigmoid (values in (0, 1)) and ReduceLogSumExp over the columns, each brought
      to [N, 1, 6, 1] by ReduceMean, then Concat on axis 1.
    - `logits` [N, 4, 6, 8]: LogSoftmax over the channels (axis 1) plus LogSoftmax on the last axis.
    - `mixed` [N, 4, 6, 8]: Max of the input and a per-channel constant, Min of three operands
      ([N, 4, 6, 8], [N, 4, 6, 1], [N, 1, 1, 8]), Mean of three, PRelu with a per-channel slope
      and with one slope, summed.
    - `unary` [N, 4, 6, 8]: Elu, Log of Softplus, Softsign, Selu, Celu and ThresholdedRelu, summed."""
    b = Builder(np.random.default_rng(SEED + 4))
    rng = b.rng
    x = "input"

    def reduce_op(op, axes, name, source=x, keepdims=1):
        return b.node(op, [source, b.const_ints(name + "_axes", axes)], name, keepdims=keepdims)

    parts = [
        reduce_op("ReduceSum", [1], "sum"),                     # [N, 1, 6, 8]
        reduce_op("ReduceMax", [3], "max"),                    # [N, 4, 6, 1]
        reduce_op("ReduceMin", [3], "min"),
        reduce_op("ReduceL2", [1, 3], "l2"),                    # [N, 1, 6, 1]
        reduce_op("ReduceProd", [3], "prod", source=b.node("Sigmoid", [x], "gate")),
        reduce_op("ReduceLogSumExp", [3], "lse"),
    ]
    rows = b.node("Transpose", [reduce_op("ReduceSumSquare", [2], "sumsq", keepdims=0)], "sumsq_t", perm=[0, 2, 1])  # [N, 8, 4]
    slices = [
        b.node("ReduceMean", [parts[0], b.const_ints("sum_cols_axes", [3])], "sum_cols"),            # [N, 1, 6, 1]
        b.node("ReduceMean", [parts[1], b.const_ints("max_ch_axes", [1])], "max_ch"),
        b.node("ReduceMean", [parts[2], b.const_ints("min_ch_axes", [1])], "min_ch"),
        parts[3],
        b.node("ReduceMean", [parts[4], b.const_ints("prod_ch_axes", [1])], "prod_ch"),
        b.node("ReduceMean", [parts[5], b.const_ints("lse_ch_axes", [1])], "lse_ch"),
        b.node("Reshape", [b.node("ReduceMean", [rows, b.const_ints("sumsq_axes2", [1, 2])], "sumsq_mean"),
                           b.const_ints("sumsq_shape", [0, 1, 1, 1])], "sumsq_one"),
    ]
    slices[-1] = b.node("Mul", [slices[-1], b.const("ones6", np.ones((1, 6, 1), np.float32))], "sumsq_six")  # [N, 1, 6, 1]
    joined = b.node("Concat", slices, "joined", axis=1)                                           # [N, 7, 6, 1]
    b.node("Reshape", [joined, b.const_ints("reduced_shape", [0, 7, 6])], "reduced")
    b.node("Add", [b.node("LogSoftmax", [x], "lsm_c", axis=1), b.node("LogSoftmax", [x], "lsm_w", axis=-1)], "logits")
    mx = b.node("Max", [x, b.const("floor", rng.uniform(-0.5, 0.5, (4, 1, 1)))], "max_k")
    row = b.node("ReduceMean", [x, b.const_ints("row_axes", [3])], "row_mean")        # [N, 4, 6, 1]
    col = b.node("ReduceMean", [x, b.const_ints("col_axes", [1, 2])], "col_mean")     # [N, 1, 1, 8]
    mn = b.node("Min", [x, row, col], "min3")
    mean = b.node("Mean", [x, row, col], "mean3")
    pr = b.node("PRelu", [x, b.const("slope", [[[0.1]], [[-0.4]], [[0.7]], [[1.5]]])], "prelu_c")
    pr1 = b.node("PRelu", [x, b.const("slope1", [0.25])], "prelu_1")
    b.node("Sum", [mx, mn, mean, pr, pr1], "mixed")
    unary = [
        b.node("Elu", [x], "elu", alpha=0.7), b.node("Log", [b.node("Softplus", [x], "softplus")], "log"),
        b.node("Softsign", [x], "softsign"), b.node("Selu", [x], "selu", alpha=1.5, gamma=1.1),
        b.node("Celu", [x], "celu", alpha=2.0), b.node("ThresholdedRelu", [x], "thresholded", alpha=0.3),
    ]
    b.node("Sum", unary, "unary")
    return b.model("opcoverage-reduce", [4, 6, 8], {"reduced": [7, 6], "logits": [4, 6, 8], "mixed": [4, 6, 8],
                                                     "unary": [4, 6, 8]}, opset=18)


def decoder():
    """A small encoder-decoder on ConvTranspose (issue 9). Input [N, 4, 10, 8]; outputs:
    - `decoded` [N, 6, 21, 10]: Conv stride 2 + Relu, ConvTranspose 4x4 stride 2 pad 1 (PyTorch's
      upsampling) + Relu, Concat with the input (a skip connection, written in place), then a grouped
      ConvTranspose (group 2, strides 2x1, dilations 1x2, pads 1,0 / 0,2, output_padding 1,0).
    - `shaped` [N, 2, 10, 8]: ConvTranspose without bias to output_shape [10, 8] (SAME_UPPER, pads derived).
    - `depthwise` [N, 8, 10, 8]: a depthwise ConvTranspose 2x2 stride 2 (auto_pad SAME_LOWER) + Sigmoid."""
    b = Builder(np.random.default_rng(SEED + 5))

    def transposed_weights(name, in_ch, out_per_group, k, scale, bias=True):
        kh, kw = k
        w = b.rng.standard_normal((in_ch, out_per_group, kh, kw)) * scale / np.sqrt(in_ch * kh * kw / 4)
        return [b.const(name + ".W", w)] + ([b.const(name + ".B", b.rng.uniform(-0.5, 0.5, out_per_group))] if bias else [])

    w, bias = b.conv_weights("enc", 8, 4, 3, 2.0)
    enc = b.node("Relu", [b.node("Conv", ["input", w, bias], "enc_conv", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
                 "enc")                                                                        # [N, 8, 5, 4]
    up = b.node("ConvTranspose", [enc] + transposed_weights("up", 8, 6, (4, 4), 2.0), "up_convt", strides=[2, 2],
                pads=[1, 1, 1, 1])
    up = b.node("Relu", [up], "up")                                                           # [N, 6, 10, 8]
    cat = b.node("Concat", [up, "input"], "skip", axis=1)                                     # [N, 10, 10, 8]
    w = b.const("decoded.W", b.rng.standard_normal((10, 3, 3, 3)) * 0.5)
    bias = b.const("decoded.B", b.rng.uniform(-0.5, 0.5, 6))
    b.node("ConvTranspose", [cat, w, bias], "decoded", group=2, strides=[2, 1], dilations=[1, 2], pads=[1, 0, 0, 2],
           output_padding=[1, 0], kernel_shape=[3, 3])
    b.node("ConvTranspose", [enc] + transposed_weights("shaped", 8, 2, (3, 3), 2.0, bias=False), "shaped", strides=[2, 2],
           output_shape=[10, 8], auto_pad="SAME_UPPER")
    w = b.const("depthwise.W", b.rng.standard_normal((8, 1, 2, 2)))
    bias = b.const("depthwise.B", b.rng.uniform(-0.5, 0.5, 8))
    dw = b.node("ConvTranspose", [enc, w, bias], "depthwise_convt", group=8, strides=[2, 2], auto_pad="SAME_LOWER")
    b.node("Sigmoid", [dw], "depthwise")
    return b.model("opcoverage-decoder", [4, 10, 8], {"decoded": [6, 21, 10], "shaped": [2, 10, 8], "depthwise": [8, 10, 8]})


def logic():
    """Comparisons, logic, Where and Mod (issue 9's ViT/Swin ops). Input [N, 4, 6, 8]; outputs:
    - `leaky` [N, 4, 6, 8]: Where(Greater(x, 0), x, 0.1 x), a leaky ReLU by a run-time mask.
    - `attention` [N, 4, 6, 8]: a constant causal mask (bool [6, 8], column > row) filling -inf by Where,
      then Softmax on the last axis.
    - `flags` [N, 4, 6, 8]: Less (against the per-row mean), GreaterOrEqual, And, Equal (x with itself),
      Or, LessOrEqual, Xor and Not of run-time bools, each Cast to float and summed with weights 1, 2, 4.
    - `remainder` [N, 4, 6, 8]: Mod with fmod=1 by per-column divisors of both signs.
    - `expanded` [N, 4, 6, 8]: the exporters' Expand plumbing, Where(Equal(shape, -1), 1, shape) of a
      constant shape with -1s, folded at compile time, expanding the per-row mean along the columns."""
    b = Builder(np.random.default_rng(SEED + 5))
    rng = b.rng
    x = "input"
    positive = b.node("Greater", [x, b.const("zero", np.float32(0))], "positive")
    b.node("Where", [positive, x, b.node("Mul", [x, b.const("slope", np.float32(0.1))], "scaled")], "leaky")
    causal = np.triu(np.ones((6, 8), dtype=bool), k=1)
    b.inits.append(numpy_helper.from_array(causal, "causal"))
    filled = b.node("Where", ["causal", b.const("minus_inf", np.float32(-np.inf)), x], "filled")
    b.node("Softmax", [filled], "attention", axis=-1)
    row = b.node("ReduceMean", [x, b.const_ints("row_axes", [3])], "row_mean")                 # [N, 4, 6, 1]
    both = b.node("And", [b.node("Less", [x, row], "below_mean"),
                          b.node("GreaterOrEqual", [x, b.const("floor", np.float32(-0.2))], "above_floor")], "both")
    either = b.node("Or", [both, b.node("Equal", [x, x], "self_equal")], "either")
    odd = b.node("Xor", [either, b.node("LessOrEqual", [x, b.const("ceiling", np.float32(0.3))], "below_ceiling")], "odd")
    negated = b.node("Not", [positive], "not_positive")

    def as_float(name, source):
        return b.node("Cast", [source], name, to=TensorProto.FLOAT)

    weighted = b.node("Mul", [as_float("odd_f", odd), b.const("two", np.float32(2))], "odd_2")
    summed = b.node("Add", [as_float("both_f", both), weighted], "flags_12")
    b.node("Add", [summed, b.node("Mul", [as_float("negated_f", negated), b.const("four", np.float32(4))], "negated_4")], "flags")
    divisors = rng.uniform(0.2, 0.6, 8) * np.where(np.arange(8) % 2 == 0, 1, -1)
    b.node("Mod", [x, b.const("divisors", divisors)], "remainder", fmod=1)
    target = b.const_ints("target", [-1, -1, -1, 8])
    minus = b.node("Mul", [b.node("ConstantOfShape", [b.const_ints("rank", [4])], "ones", value=numpy_helper.from_array(np.array([1], np.int64))),
                           b.const_ints("minus_one", [-1])], "minus")
    shape = b.node("Where", [b.node("Equal", [target, minus], "is_minus"), b.node("Div", [minus, minus], "one"), target], "expand_shape")
    b.node("Expand", [row, shape], "expanded")
    return b.model("opcoverage-logic", [4, 6, 8], {"leaky": [4, 6, 8], "attention": [4, 6, 8], "flags": [4, 6, 8],
                                                    "remainder": [4, 6, 8], "expanded": [4, 6, 8]}, opset=18)


FIXTURES = {
    "opcoverage.onnx": opcoverage, "opcoverage-activations.onnx": activations, "opcoverage-modern.onnx": modern,
    "opcoverage-tensor.onnx": tensor, "opcoverage-reduce.onnx": reduce, "opcoverage-decoder.onnx": decoder,
    "opcoverage-logic.onnx": logic,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if a committed fixture differs")
    parser.add_argument("--out", default=FOLDER)
    args = parser.parse_args()
    stale = 0
    for file, make in FIXTURES.items():
        data = make().SerializeToString()
        path = os.path.join(args.out, file)
        if args.check:
            old = open(path, "rb").read() if os.path.exists(path) else None
            same = old == data
            stale += 0 if same else 1
            print(f"{'ok   ' if same else 'STALE'} {os.path.relpath(path)}")
        else:
            os.makedirs(args.out, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            print(f"wrote {os.path.relpath(path)} ({len(data)} bytes)")
    if stale:
        print("make_opcoverage: regenerate with Tools/make_opcoverage.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
