"""Writes the fuzzers' generated seeds (Tools/fuzz.sh corpus): .npy files of every dtype and
header version the reader accepts (and a few it rejects), and weight-stripped copies of the
big Graphs/ models (their external-data references kept, so shapes still infer).

usage: fuzz_seeds.py NPY_DIR ONNX_DIR GRAPH...
"""
import io
import os
import sys

import numpy as np
import onnx


def npy_seeds(out):
    rng = np.random.default_rng(0)
    arrays = {
        "f4": rng.standard_normal((2, 3)).astype("<f4"),
        "f8": rng.standard_normal((3,)).astype("<f8"),
        "i8": np.arange(6, dtype="<i8").reshape(1, 2, 3),
        "i4": np.arange(4, dtype="<i4"),
        "u1": np.arange(5, dtype="|u1"),
        "i1": np.arange(-2, 2, dtype="|i1"),
        "b1": np.array([True, False]),
        "scalar": np.array(1.5, dtype="<f4"),
        "empty": np.zeros((0, 4), dtype="<f4"),
        "f2": np.ones((2,), dtype="<f2"),  # rejected: unsupported dtype
        "big-endian": np.ones((2,), dtype=">f4"),  # rejected
        "fortran": np.asfortranarray(np.ones((2, 3), dtype="<f4")),  # rejected
    }
    for name, a in arrays.items():
        np.save(os.path.join(out, name + ".npy"), a)
    for version in [(2, 0), (3, 0)]:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, arrays["f4"], version=version)
        with open(os.path.join(out, "f4-v%d.npy" % version[0]), "wb") as f:
            f.write(buf.getvalue())


def stripped_graphs(out, graphs):
    for path in graphs:
        model = onnx.load(path, load_external_data=False)
        for t in model.graph.initializer:
            # Embedded weights (LeNet's) become external references too: the seed keeps shapes only.
            if t.HasField("raw_data") and len(t.raw_data) > 256:
                t.ClearField("raw_data")
                t.data_location = onnx.TensorProto.EXTERNAL
                del t.external_data[:]
                for key, value in [("location", "w.weights"), ("offset", "0"), ("length", str(4 * int(np.prod(t.dims))))]:
                    entry = t.external_data.add()
                    entry.key, entry.value = key, value
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out, name + "-stripped.onnx"), "wb") as f:
            f.write(model.SerializeToString())


def tiny_net(out):
    """A small fully loaded model whose plan holds most step kinds (GEMM-packed, Winograd and
    depthwise convs, pools, dense, concat slices, softmax), for the compile path and plan seeds."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(1)

    def init(name, shape):
        return helper.make_tensor(name, TensorProto.FLOAT, shape, rng.standard_normal(shape).astype(np.float32).ravel())

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["a2"]),
        helper.make_node("Relu", ["a2"], ["r2"]),
        helper.make_node("Conv", ["r2", "wd"], ["d"], pads=[1, 1, 1, 1], group=16),
        helper.make_node("BatchNormalization", ["d", "s", "bb", "mu", "var"], ["bn"]),
        helper.make_node("Concat", ["bn", "r2"], ["cat"], axis=1),
        helper.make_node("MaxPool", ["cat"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("AveragePool", ["mp"], ["ap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["ap"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    inits = [
        init("w1", [16, 3, 3, 3]), init("b1", [16]), init("w2", [16, 16, 3, 3]), init("wd", [16, 1, 3, 3]),
        init("s", [16]), init("bb", [16]), init("mu", [16]),
        helper.make_tensor("var", TensorProto.FLOAT, [16], np.ones(16, np.float32)),
        init("wf", [10, 32]), init("bf", [10]),
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "tiny-net.onnx"))


if __name__ == "__main__":
    npy_dir, onnx_dir, graphs = sys.argv[1], sys.argv[2], sys.argv[3:]
    npy_seeds(npy_dir)
    stripped_graphs(onnx_dir, graphs)
    tiny_net(onnx_dir)
