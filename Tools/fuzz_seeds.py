"""Writes the fuzzers' generated seeds (Tools/fuzz.sh corpus): .npy files of every dtype and
header version the reader accepts (and a few it rejects), weight-stripped copies of the
big Graphs/ models (their external-data references kept, so shapes still infer), and
models that carry their external data with them (fuzz-onnx's second input form: the model,
WEIGHTS_SEPARATOR, then the bytes of `w.weights`):

- the first layers of each Graphs/ model, as many as fit in EXTERNAL_BUDGET bytes of
  weights, with their real weights (read from the .weights file at the offsets the graph
  names, or LeNet's embedded ones) moved to a small `w.weights`;
- the tiny net and every model given with --external (the op-coverage fixtures), every
  tensor external.

usage: fuzz_seeds.py NPY_DIR ONNX_DIR GRAPH... [--external MODEL...]
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


# Between a model and its weights blob (Fuzz/fuzz-onnx/main.swift splits inputs at the same bytes).
WEIGHTS_SEPARATOR = b"\n--graphc-fuzz-weights--\n"
# Weights per seed: with the model the input stays under fuzz-onnx's max_len (64 KiB).
EXTERNAL_BUDGET = 40 * 1024


def tensor_bytes(tensor, folder):
    """The raw little-endian bytes of an initializer, embedded or external (read at its offset)."""
    if tensor.data_location != onnx.TensorProto.EXTERNAL:
        return onnx.numpy_helper.to_array(tensor).tobytes()
    fields = {e.key: e.value for e in tensor.external_data}
    with open(os.path.join(folder, fields["location"]), "rb") as f:
        f.seek(int(fields.get("offset", "0")))
        return f.read(int(fields["length"]))


def with_external_data(model, blobs):
    """`model` with each initializer in `blobs` (name -> bytes) moved to one `w.weights`; the seed's bytes."""
    weights = bytearray()
    for t in model.graph.initializer:
        if t.name not in blobs:
            continue
        data = blobs[t.name]
        weights += bytes(-len(weights) % 16)  # aligned, as exporters write them
        for field in ["raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"]:
            t.ClearField(field)
        t.data_location = onnx.TensorProto.EXTERNAL
        del t.external_data[:]
        # Offsets and lengths are zero-padded to 20 digits (Int() reads them the same): byte
        # mutations and the dictionary (Fuzz/fuzz-onnx/external-data.dict) can then write any
        # 64-bit value in place without changing the protobuf's lengths.
        for key, value in [("location", "w.weights"), ("offset", "%020d" % len(weights)), ("length", "%020d" % len(data))]:
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        weights += data
    return model.SerializeToString() + WEIGHTS_SEPARATOR + bytes(weights)


def graph_prefixes(out, graphs):
    """Each Graphs/ model cut after its first layers, with their weights external in the seed."""
    from onnx import helper

    for path in graphs:
        model = onnx.load(path, load_external_data=False)
        g = model.graph
        inits = {t.name: t for t in g.initializer}
        kept, used, size = [], set(), 0
        for node in g.node:
            new = [i for i in node.input if i in inits and i not in used]
            extra = sum(len(tensor_bytes(inits[i], os.path.dirname(path))) for i in new)
            if size + extra > EXTERNAL_BUDGET:
                break
            kept.append(node)
            used.update(new)
            size += extra
        name = os.path.splitext(os.path.basename(path))[0]
        if not any(used):
            print("fuzz_seeds: %s's first layer holds more than %d bytes of weights, no external-data seed" % (name, EXTERNAL_BUDGET))
            continue
        produced = {o for n in kept for o in n.output}
        consumed = {i for n in kept for i in n.input}
        outputs = [helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None) for o in kept[-1].output if o]
        outputs += [helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None) for n in kept[:-1] for o in n.output
                    if o in produced and o not in consumed]
        prefix = helper.make_graph(
            kept, g.name, [i for i in g.input if i.name in consumed and i.name not in inits], outputs,
            [inits[i] for i in sorted(used)])
        cut = helper.make_model(prefix, opset_imports=model.opset_import, ir_version=model.ir_version)
        # The cut's outputs get the shapes onnx infers (a graph output must have one).
        cut = onnx.shape_inference.infer_shapes(cut)
        del cut.graph.value_info[:]
        blobs = {i: tensor_bytes(inits[i], os.path.dirname(path)) for i in used}
        with open(os.path.join(out, "%s-first-%d-external.onnx" % (name, len(kept))), "wb") as f:
            f.write(with_external_data(cut, blobs))


def all_external(out, models):
    """Whole small models with every initializer external."""
    for path in models:
        model = onnx.load(path)
        blobs = {t.name: tensor_bytes(t, os.path.dirname(path)) for t in model.graph.initializer}
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out, name + "-external.onnx"), "wb") as f:
            f.write(with_external_data(model, blobs))


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
    npy_dir, onnx_dir, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    graphs, external = (rest[:rest.index("--external")], rest[rest.index("--external") + 1:]) if "--external" in rest else (rest, [])
    npy_seeds(npy_dir)
    stripped_graphs(onnx_dir, graphs)
    graph_prefixes(onnx_dir, graphs)
    tiny_net(onnx_dir)
    all_external(onnx_dir, [os.path.join(onnx_dir, "tiny-net.onnx")] + external)
