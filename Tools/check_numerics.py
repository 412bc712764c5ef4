#!/usr/bin/env python3
"""NaN, infinity and overflow through single ops: onnxruntime, PyTorch and graphrun side by side.

Each case is a one-node ONNX model on a small input holding NaN, +-inf or values near the
largest float. It runs in onnxruntime, in PyTorch (the equivalent torch call) and through
graphc + graphrun; the table it prints is the one in docs/numerics.md.

    Tools/check_numerics.py [--graphc .build/debug/graphc] [--graphrun .build/debug/graphrun]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

NAN, INF, BIG = float("nan"), float("inf"), 3.0e38

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the table then says "not installed"
    torch = None


def model(op, shape, out_shape, attrs=None, extra_inputs=()):
    """A one-node model: input x of `shape`, output y of `out_shape`, constant extra inputs."""
    inits, names = [], ["x"]
    for i, value in enumerate(extra_inputs):
        name = f"c{i}"
        inits.append(helper.make_tensor(name, TensorProto.FLOAT, [], [value]))
        names.append(name)
    node = helper.make_node(op, names, ["y"], **(attrs or {}))
    graph = helper.make_graph(
        [node], op, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def conv_relu(shape):
    """Conv 1x1 (weight 1, bias 0) then Relu: graphc fuses the Relu into the conv's epilogue."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 1, 1], [1.0])
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]), helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(
        nodes, "conv_relu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def t(x):
    return torch.tensor(np.array(x, dtype=np.float32))


# (label, op, attrs, extra constant inputs, input, torch function)
PLANE = [1, 1, 2, 2]
CASES = [
    ("MaxPool 2x2", "MaxPool", {"kernel_shape": [2, 2]}, (), [NAN, 1, 2, 3], lambda x: F.max_pool2d(x, 2)),
    ("MaxPool 2x2", "MaxPool", {"kernel_shape": [2, 2]}, (), [1, NAN, 2, 3], lambda x: F.max_pool2d(x, 2)),
    ("MaxPool 2x2", "MaxPool", {"kernel_shape": [2, 2]}, (), [-INF, -INF, -INF, -INF], lambda x: F.max_pool2d(x, 2)),
    ("GlobalMaxPool", "GlobalMaxPool", {}, (), [1, NAN, 2, 3], lambda x: F.adaptive_max_pool2d(x, 1)),
    ("AveragePool 2x2", "AveragePool", {"kernel_shape": [2, 2]}, (), [NAN, 1, 2, 3], lambda x: F.avg_pool2d(x, 2)),
    ("AveragePool 2x2", "AveragePool", {"kernel_shape": [2, 2]}, (), [INF, -INF, 2, 3], lambda x: F.avg_pool2d(x, 2)),
    ("AveragePool 2x2", "AveragePool", {"kernel_shape": [2, 2]}, (), [BIG] * 4, lambda x: F.avg_pool2d(x, 2)),
    ("GlobalAveragePool", "GlobalAveragePool", {}, (), [NAN, 1, 2, 3], lambda x: F.adaptive_avg_pool2d(x, 1)),
    ("GlobalAveragePool", "GlobalAveragePool", {}, (), [BIG] * 4, lambda x: F.adaptive_avg_pool2d(x, 1)),
    ("ReduceMean axes 2,3", "ReduceMean", {"axes": [2, 3]}, (), [BIG] * 4, lambda x: x.mean((2, 3), keepdim=True)),
    ("ReduceMean axes 2,3", "ReduceMean", {"axes": [2, 3]}, (), [INF, 1, 2, 3], lambda x: x.mean((2, 3), keepdim=True)),
    ("Relu", "Relu", {}, (), [NAN, -INF, INF, -1], F.relu),
    ("Clip 0..6", "Clip", {}, (0.0, 6.0), [NAN, -INF, INF, 7], lambda x: torch.clamp(x, 0, 6)),
    ("Conv 1x1 + Relu (fused)", "ConvRelu", {}, (), [NAN, -INF, INF, -1],
     lambda x: F.relu(F.conv2d(x, torch.ones(1, 1, 1, 1)))),
    ("Sigmoid", "Sigmoid", {}, (), [NAN, -INF, INF, 0], torch.sigmoid),
    ("Softmax axis -1", "Softmax", {"axis": -1}, (), [NAN, 1, 2, 3], lambda x: F.softmax(x, -1)),
    ("Softmax axis -1", "Softmax", {"axis": -1}, (), [INF, 1, 2, 3], lambda x: F.softmax(x, -1)),
    ("Softmax axis -1", "Softmax", {"axis": -1}, (), [-INF, 1, 2, 3], lambda x: F.softmax(x, -1)),
    ("Softmax axis -1", "Softmax", {"axis": -1}, (), [BIG, -BIG, 0, 0], lambda x: F.softmax(x, -1)),
    ("Max(x, 0)", "Max", {}, (0.0,), [NAN, -INF, INF, -1], lambda x: torch.maximum(x, torch.tensor(0.0))),
    ("Min(x, 0)", "Min", {}, (0.0,), [NAN, -INF, INF, 1], lambda x: torch.minimum(x, torch.tensor(0.0))),
]

OUT_SHAPES = {"ConvRelu": PLANE, "MaxPool": [1, 1, 1, 1], "GlobalMaxPool": [1, 1, 1, 1], "AveragePool": [1, 1, 1, 1],
              "GlobalAveragePool": [1, 1, 1, 1], "ReduceMean": [1, 1, 1, 1]}


def shown(values):
    def one(v):
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.3g}"
    return "[" + ", ".join(one(v) for v in np.ravel(values)) + "]"


def graphrun(path, x, tools, folder):
    plan, inp, out = path + ".plan", path + ".bin", path + ".npy"
    r = subprocess.run([tools.graphc, "compile", path, "-o", plan], capture_output=True, text=True)
    if r.returncode != 0:
        return "refused: " + (r.stderr.strip().splitlines() or ["?"])[-1].split(": ")[-1][:50]
    x.astype("<f4").tofile(inp)
    r = subprocess.run([tools.graphrun, plan, inp, "-o", out, "--top", "0"], capture_output=True, text=True)
    if r.returncode != 0:
        return "error: " + r.stderr.strip()[:60]
    return shown(np.load(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graphc", default=".build/debug/graphc")
    parser.add_argument("--graphrun", default=".build/debug/graphrun")
    tools = parser.parse_args()
    print(f"onnxruntime {ort.__version__}, torch {torch.__version__ if torch else 'not installed'}\n")
    print("| op | input | onnxruntime | PyTorch | graphrun |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for i, (label, op, attrs, extra, values, torch_fn) in enumerate(CASES):
            shape = PLANE if op in OUT_SHAPES else [1, 4]
            x = np.array(values, dtype=np.float32).reshape(shape)
            m = conv_relu(shape) if op == "ConvRelu" else model(op, shape, OUT_SHAPES.get(op, shape), attrs, extra)
            path = os.path.join(folder, f"case{i}.onnx")
            onnx.save(m, path)
            with np.errstate(all="ignore"):
                ort_out = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
            torch_out = shown(torch_fn(t(x)).numpy()) if torch else "—"
            print(f"| {label} | {shown(x)} | {shown(ort_out)} | {torch_out} | {graphrun(path, x, tools, folder)} |")


if __name__ == "__main__":
    sys.exit(main())
