#!/usr/bin/env python3
"""Writes graphs far larger than the seed networks, for timing compilation (no pass may be
quadratic in the node count). Prints the files written, for Tools/benchmark.py compile:

    .venv/bin/python Tools/benchmark.py compile --bin $B $(.venv/bin/python Tools/make_large_graphs.py /tmp/large)
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(path, nodes, inputs, output, initializers=()):
    graph = helper.make_graph(nodes, os.path.basename(path), inputs,
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], list(initializers))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    print(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--nodes", type=int, default=100_000)
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    n = args.nodes
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 8, 8])

    # A chain of element-wise ops (shape inference, planning).
    nodes, prev = [], "x"
    for i in range(n):
        nodes.append(helper.make_node("Relu", [prev], [f"v{i}"], name=f"n{i}"))
        prev = f"v{i}"
    save(os.path.join(args.folder, f"relu-chain-{n}.onnx"), nodes, [x], prev)

    # A chain the rewrite passes work on: Identity, per-channel Add (fold-batchnorm), Conv+Relu (fuse).
    shift = numpy_helper.from_array(np.full((4, 1, 1), 0.1, np.float32), "shift")
    weight = numpy_helper.from_array(np.full((4, 4, 1, 1), 0.25, np.float32), "w")
    nodes, prev = [], "x"
    for i in range(n // 4):
        nodes += [
            helper.make_node("Identity", [prev], [f"i{i}"], name=f"id{i}"),
            helper.make_node("Conv", [f"i{i}", "w"], [f"c{i}"], name=f"conv{i}"),
            helper.make_node("Add", [f"c{i}", "shift"], [f"a{i}"], name=f"add{i}"),
            helper.make_node("Relu", [f"a{i}"], [f"r{i}"], name=f"relu{i}"),
        ]
        prev = f"r{i}"
    save(os.path.join(args.folder, f"rewrite-chain-{n}.onnx"), nodes, [x], prev, [shift, weight])

    # One Concat of n inputs (topological sort, concat-in-place).
    y = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 2, 2])
    nodes = [helper.make_node("Relu", ["x"], [f"r{i}"], name=f"r{i}") for i in range(n)]
    nodes.append(helper.make_node("Concat", [f"r{i}" for i in reversed(range(n))], ["out"], axis=1, name="concat"))
    save(os.path.join(args.folder, f"wide-concat-{n}.onnx"), nodes, [y], "out")


if __name__ == "__main__":
    main()
